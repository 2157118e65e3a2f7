"""Several workers behind one URL (issue 16): two app backends on one Redis and one PostgreSQL database,
a TCP proxy in front of them, a real browser signed in on the first; that backend is SIGKILLed and the
same browser tab goes on (still signed in, the open answer intact, the next question answered) on the second.

The proxy works at the TCP level, like a load balancer in TCP mode: the websocket and the page requests
keep their Host header, and each new connection goes to the first backend that accepts it (sticky while
it lives, fail-over when it dies). Marked `scaleout` (two production backends and a frontend build).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import plotly.data
import pytest
from playwright.sync_api import expect

from tests.conftest import PG_ADMIN_URL, _create_pg_database, _drop_pg_database
from tests.e2e.conftest import (
    ARTIFACTS,
    BUILD_TIMEOUT_S,
    PROJECT_ROOT,
    _free_port,
    _server_env,
)
from tests.e2e.flows import QUESTION, ask, table_rows, user_with_sample
from tests.helpers.redis_server import RedisServer

pytestmark = [pytest.mark.e2e, pytest.mark.scaleout, pytest.mark.slow]

SECOND_QUESTION = "average life expectancy by continent"
# The second backend: Reflex's own production backend (Granian) serving the frontend the first one built.
_BACKEND_ONLY = (
    "import sys; from reflex.utils import exec as rx_exec; "
    "rx_exec.run_backend_prod('127.0.0.1', int(sys.argv[1]), mount_frontend_compiled_app=True)"
)


class FailoverProxy:
    """127.0.0.1:port → the first of `backends` that accepts the connection; records where each went."""

    def __init__(self, port: int, backends: list[int]) -> None:
        self.port = port
        self.backends = backends
        self.served: list[int] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="failover-proxy", daemon=True)

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(10), "the proxy did not start"

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", self.port))
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        for backend in self.backends:
            try:
                upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", backend)
            except OSError:
                continue
            self.served.append(backend)
            await asyncio.gather(_pipe(client_reader, upstream_writer), _pipe(upstream_reader, client_writer))
            return
        client_writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


class Backend:
    """One app backend process (its own process group) logging to a file."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("wb")
        self.process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=self._out,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def wait_serving(self, url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text(errors="replace")[-3000:]
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/login", timeout=2, follow_redirects=True).status_code == 200:
                    return
            time.sleep(1)
        raise AssertionError(f"backend did not serve {url} within {timeout}s; see {self.log}")

    def kill(self) -> None:
        """SIGKILL to the whole group: what a crash or a lost machine does."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self._out.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        self._out.close()


def _private_web_dirs(tmp_path: Path) -> dict[str, str]:
    """Reflex's build and state folders of this test's own, so building the frontend for the proxy's address
    leaves alone the one the other browser tests' live server is serving (the npm packages are shared)."""
    web = tmp_path / "web"
    shared = PROJECT_ROOT / ".web"
    if (shared / "node_modules").is_dir():
        shutil.copytree(shared, web, symlinks=True,
                        ignore=shutil.ignore_patterns("node_modules", "build", ".react-router"))
        (web / "node_modules").symlink_to(shared / "node_modules", target_is_directory=True)
    return {"REFLEX_WEB_WORKDIR": str(web), "REFLEX_STATES_WORKDIR": str(tmp_path / "states")}


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[str, FailoverProxy, list[Backend]]]:
    """Redis (own server), a fresh PostgreSQL database, a shared data folder, two backends, one proxy."""
    redis_server = RedisServer(tmp_path / "redis")
    redis_server.start()
    database = _create_pg_database()
    proxy_port, first_port, second_port = _free_port(), _free_port(), _free_port()
    env = _server_env(tmp_path, {
        "LUMIERE_DATABASE_URL": PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}",
        "REFLEX_REDIS_URL": redis_server.url,
        "LUMIERE_REDIS_URL": redis_server.url,
        "LUMIERE_SECRET_KEY": "failover-test-secret-key-shared-by-both-workers",
        # The browser talks to the proxy only; Reflex writes this address into the frontend it builds.
        "REFLEX_API_URL": f"http://localhost:{proxy_port}",
        "LUMIERE_PUBLIC_URL": f"http://127.0.0.1:{proxy_port}",
        "GRANIAN_WORKERS": "1",
    })
    env.update(_private_web_dirs(tmp_path))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    backends: list[Backend] = []
    proxy = FailoverProxy(proxy_port, [first_port, second_port])
    try:
        launch = [sys.executable, "-m", "lumiere.launch"]
        backends.append(Backend([*launch, "run", "--env", "prod", "--single-port", "--frontend-port", str(first_port),
                                 "--loglevel", "info"], env, ARTIFACTS / "failover-first.log"))
        backends[0].wait_serving(f"http://127.0.0.1:{first_port}", BUILD_TIMEOUT_S)
        second_env = {**env, "REFLEX_ENV_MODE": "prod", "__REFLEX_SKIP_COMPILE": "true"}
        backends.append(Backend([sys.executable, "-c", _BACKEND_ONLY, str(second_port)], second_env,
                                ARTIFACTS / "failover-second.log"))
        backends[1].wait_serving(f"http://127.0.0.1:{second_port}", 180)
        proxy.start()
        yield f"http://127.0.0.1:{proxy_port}", proxy, backends
    finally:
        for backend in backends:
            backend.stop()
        with contextlib.suppress(Exception):
            proxy.stop()
        _drop_pg_database(database)
        redis_server.stop()


def _shown_counts(page) -> set[tuple[str, str]] | None:
    """The table's rows, or None while it is being swapped (no continent column yet)."""
    try:
        return _continent_counts(page)
    except StopIteration:
        return None


def _continent_counts(page) -> set[tuple[str, str]]:
    header = page.get_by_role("table", name="Query results").locator("thead th").all_inner_texts()
    # A header reads "Continent" (the readable label) over "continent · VARCHAR" (the column).
    continent = next(i for i, text in enumerate(header) if text.lower().startswith("continent"))
    return {(row[continent], row[1 - continent]) for row in table_rows(page, "Query results")}


def test_a_session_goes_on_when_the_worker_that_served_it_is_killed(browser, cluster) -> None:
    url, proxy, (first, second) = cluster
    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        source_id = user_with_sample(page, "Failover User")
        page.goto(f"/query?source={source_id}")
        ask(page, QUESTION)
        before = _continent_counts(page)
        assert len(before) == 5
        first_port, second_port = proxy.backends
        assert set(proxy.served) == {first_port}, "the first backend served the whole session so far"

        started = time.monotonic()
        first.kill()
        served_before_kill = len(proxy.served)

        # Same tab, no reload: the websocket reconnects through the proxy to the second backend, which
        # reads the session's state from Redis; the open answer is still on the page.
        deadline = time.monotonic() + 60
        while second_port not in proxy.served[served_before_kill:]:
            assert time.monotonic() < deadline, "the page did not reconnect through the proxy"
            page.wait_for_timeout(200)
        reconnected_s = time.monotonic() - started
        # The reconnected page runs its on_load again and reopens the answer in its URL (a box typed in before
        # that would be reset): wait until the same rows are back.
        expect(page.get_by_text("From history")).to_be_visible(timeout=30_000)
        deadline = time.monotonic() + 30
        while _shown_counts(page) != before:
            assert time.monotonic() < deadline, _shown_counts(page)
            page.wait_for_timeout(300)
        page.wait_for_timeout(1_000)
        first_answer = page.url
        box = page.get_by_label("Question")
        box.fill(SECOND_QUESTION)
        expect(box).to_have_value(SECOND_QUESTION)
        box.press("Enter")
        page.wait_for_url(lambda address: address != first_answer and re.search(r"/query\?query=\d+$", address)
                          is not None, timeout=60_000)
        answer = page.get_by_role("table", name="Query results")
        expect(answer).to_contain_text("avg_lifeexp", timeout=60_000)
        means = plotly.data.gapminder().groupby("continent").lifeExp.mean()
        expect(answer).to_contain_text(f"{means['Oceania']:.4f}")
        recovered_s = time.monotonic() - started
        assert proxy.served[served_before_kill:] and set(proxy.served[served_before_kill:]) == {second_port}

        # Still signed in (the history page is for signed-in users) and both questions are on record.
        page.goto("/history")
        expect(page).to_have_url(re.compile(r".*/history"))
        expect(page.get_by_text(QUESTION).first).to_be_visible()
        expect(page.get_by_text(SECOND_QUESTION).first).to_be_visible()
        assert second.process.poll() is None
        assert not errors, errors
        print(f"failover: reconnected {reconnected_s:.1f}s and answered {recovered_s:.1f}s after SIGKILL")
    finally:
        with contextlib.suppress(Exception):
            page.screenshot(path=str(ARTIFACTS / "failover.png"), full_page=True)
        context.close()
