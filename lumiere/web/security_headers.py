"""Security headers on every HTTP response, pages and API alike.

The Content-Security-Policy allows exactly what the app needs:
- scripts from our own origin, plus the inline scripts of the built pages and of the API docs by
  their SHA-256 hash (React Router's prerendered pages carry a few fixed inline scripts), so an
  injected inline script never runs;
- `'unsafe-eval'`: Reflex's client runs the events a handler returns (toasts, `rx.call_script`)
  through `eval`, so a page cannot work without it;
- inline styles: Emotion (Reflex's styling), Radix Themes and Plotly set `style` attributes and
  insert `<style>` elements at run time;
- images from `data:`/`blob:` (Plotly's image export, Swagger UI's icons);
- `connect-src 'self'`: the websocket to `/_event` and fetches go to the page's own origin only.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from pathlib import Path
from typing import Any

from lumiere.config import get_settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def inline_script_hashes(html: str) -> set[str]:
    """CSP hash sources ('sha256-…') of every inline script in `html`."""
    return {
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii") + "'"
        for body in _INLINE_SCRIPT.findall(html)
    }


def content_security_policy(script_hashes: Iterable[str], frame_ancestors: str) -> str:
    script_sources = " ".join(["'self'", "'unsafe-eval'", *sorted(script_hashes)])
    directives = [
        "default-src 'self'",
        f"script-src {script_sources}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ]
    return "; ".join(directives)


def _frame_options(frame_ancestors: str) -> str | None:
    """X-Frame-Options for browsers without frame-ancestors; it cannot name other origins."""
    if frame_ancestors == "'none'":
        return "DENY"
    if frame_ancestors == "'self'":
        return "SAMEORIGIN"
    return None


class SecurityHeaders:
    """The headers to add, with the CSP re-read from the built pages whenever a new build lands."""

    def __init__(self, pages_dir: Path | None = None, extra_html: Iterable[str] = ()) -> None:
        self._pages_dir = pages_dir
        self._extra_hashes = set().union(*(inline_script_hashes(html) for html in extra_html))
        self._cache_key: float | None = None
        self._headers: list[tuple[bytes, bytes]] = []

    def _build_stamp(self) -> float:
        if self._pages_dir is None:
            return 0.0
        try:
            return (self._pages_dir / "index.html").stat().st_mtime
        except OSError:
            return 0.0

    def _page_hashes(self) -> set[str]:
        if self._pages_dir is None or not self._pages_dir.is_dir():
            return set()
        hashes: set[str] = set()
        for page in self._pages_dir.rglob("*.html"):
            hashes |= inline_script_hashes(page.read_text(encoding="utf-8", errors="replace"))
        return hashes

    def headers(self) -> list[tuple[bytes, bytes]]:
        stamp = self._build_stamp()
        if stamp != self._cache_key or not self._headers:
            frame_ancestors = get_settings().frame_ancestors
            values = {
                "content-security-policy": content_security_policy(
                    self._page_hashes() | self._extra_hashes, frame_ancestors
                ),
                "x-content-type-options": "nosniff",
                "referrer-policy": "strict-origin-when-cross-origin",
                "permissions-policy": PERMISSIONS_POLICY,
                "cross-origin-opener-policy": "same-origin",
                "x-frame-options": _frame_options(frame_ancestors),
            }
            self._headers = [(name.encode(), value.encode()) for name, value in values.items() if value]
            self._cache_key = stamp
        return self._headers

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """`app` with the headers added to every HTTP response it sends (unless it set them itself)."""

        async def with_headers(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return

            async def send_with_headers(message: Message) -> None:
                if message["type"] == "http.response.start":
                    present = {name.lower() for name, _ in message.get("headers", [])}
                    extra = [(name, value) for name, value in self.headers() if name not in present]
                    message["headers"] = [*message.get("headers", []), *extra]
                await send(message)

            await app(scope, receive, send_with_headers)

        return with_headers
