"""Chart images (PNG) for PDFs and emails: Plotly's static export through kaleido and a browser.

Starting the browser takes seconds; drawing on a running one about 0.3 s. So one kaleido (one
Chromium with one tab) is kept alive per process on its own event-loop thread and reused by every
chart; calls queue for the tab. No browser, a browser that fails to start or a chart that takes
too long all mean "no image" (None), never an error: the PDF or email then says the chart is not
available. After a failure to start, the next attempt waits a minute, so a machine without a
browser does not pay the start-up time on every export.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import threading
import time
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from lumiere.config import get_settings

logger = logging.getLogger(__name__)

WIDTH, HEIGHT, SCALE = 900, 480, 2
_RETRY_AFTER_S = 60.0


class _Renderer:
    """One kaleido on a private event loop; `render` is safe to call from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kaleido: Any = None
        self._browser = ""
        self._failed_at = float("-inf")

    def render(self, figure: dict[str, Any]) -> bytes | None:
        settings = get_settings()
        browser = settings.chart_browser
        if not browser or not os.access(browser, os.X_OK) or not Path(browser).is_file():
            return None
        kaleido = self._started(browser, settings.chart_timeout_s)
        if kaleido is None or self._loop is None:
            return None
        opts = {"format": "png", "width": WIDTH, "height": HEIGHT, "scale": SCALE}
        future = asyncio.run_coroutine_threadsafe(kaleido.calc_fig(figure, opts=opts), self._loop)
        try:
            image = future.result(settings.chart_timeout_s)
        except FutureTimeout:
            future.cancel()
            logger.warning("A chart image took longer than %g s; the browser is restarted.", settings.chart_timeout_s)
            self.stop()
            return None
        except Exception as error:
            logger.warning("A chart image could not be drawn: %s", error)
            return None
        return bytes(image) if isinstance(image, (bytes, bytearray)) and image else None

    def _started(self, browser: str, timeout_s: float) -> Any:
        with self._lock:
            if self._kaleido is not None and self._browser == browser:
                return self._kaleido
            if self._kaleido is not None:
                self._stop_locked()
            if time.monotonic() - self._failed_at < _RETRY_AFTER_S:
                return None
            loop = asyncio.new_event_loop()
            threading.Thread(target=_run_until_stopped, args=(loop,), name="chart-images", daemon=True).start()
            future = asyncio.run_coroutine_threadsafe(_open_kaleido(browser, timeout_s), loop)
            try:
                self._kaleido = future.result(timeout_s)
            except Exception as error:
                future.cancel()
                loop.call_soon_threadsafe(loop.stop)
                self._failed_at = time.monotonic()
                logger.warning("The browser for chart images did not start (%s); charts are left out.", error)
                return None
            self._loop, self._browser = loop, browser
            return self._kaleido

    def stop(self) -> None:
        """Close the browser (at exit, after a hung chart, in tests)."""
        with self._lock:
            self._stop_locked()
            self._failed_at = float("-inf")

    def _stop_locked(self) -> None:
        kaleido, loop = self._kaleido, self._loop
        self._kaleido, self._loop, self._browser = None, None, ""
        if kaleido is None or loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(kaleido.close(), loop).result(10)
        except Exception as error:
            logger.info("Closing the chart browser failed: %s", error)
        loop.call_soon_threadsafe(loop.stop)


def _run_until_stopped(loop: asyncio.AbstractEventLoop) -> None:
    try:
        loop.run_forever()
    finally:
        loop.close()


async def _open_kaleido(browser: str, timeout_s: float) -> Any:
    # Imported here: kaleido pulls in its browser driver, which only PDFs and emails need.
    import kaleido

    # mathjax=False: it would load from a CDN; plotly.js comes from the installed plotly package.
    instance = kaleido.Kaleido(n=1, timeout=timeout_s, mathjax=False, path=browser)
    await instance.open()
    return instance


_renderer = _Renderer()
atexit.register(_renderer.stop)


def figure_png(figure: dict[str, Any]) -> bytes | None:
    """A PNG of a Plotly figure (plain JSON), or None when no browser can draw it now."""
    return _renderer.render(figure)


def stop_browser() -> None:
    """Close the kept-alive browser; the next chart starts a new one."""
    _renderer.stop()
