"""Faults in the processes around the app (issue 16), with real processes:

- A backend killed (SIGKILL) in the middle of an upload: no source row, no dataset file, the staged part
  removed by the next worker's reaper, and the same file uploads fine on the next backend.
- A backend worker process that dies is started again by its server (`lumiere.launch`, what `make run` and
  `make serve` start), and serves the same signed-in user.
- A page upload (Reflex's `/_upload`) whose client stops sending is answered 408 after the upload idle
  timeout, instead of holding the connection for as long as the socket stays open.
- Redis stops while configured: requests keep being served, a run asked for meanwhile waits in the process
  that asked, the job worker survives the outage with logged errors, and once Redis is back both the held-back
  run and a new one are sent (a private redis-server, stopped and restarted).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from sqlmodel import select

from lumiere.config import PROJECT_ROOT, reset_settings
from lumiere.core.enums import RunStatus
from lumiere.db import session_scope
from lumiere.jobs import install, reset_job_queues
from lumiere.models import Source
from tests.helpers.redis_server import RedisServer
from tests.helpers.schedules import make_schedule, run_now, wait_for_run
from tests.helpers.smtp import SmtpServer, free_port
from tests.jobs.test_worker_processes import Worker, _worker_env

pytestmark = pytest.mark.slow

# Reflex's production backend (Granian, one worker) without the frontend: the API is all an upload needs.
_BACKEND_ONLY = (
    "import sys; from reflex.utils import exec as rx_exec; "
    "rx_exec.run_backend_prod('127.0.0.1', int(sys.argv[1]))"
)
BOUNDARY = "lumiereCrashTest"


class Backend:
    def __init__(self, env: dict[str, str], log: Path, *, launched: bool = False) -> None:
        """Reflex's backend run directly, or (`launched`) through `python -m lumiere.launch` as `make run` does."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._out = log.open("wb")
        command = ([sys.executable, "-m", "lumiere.launch", "run", "--env", "prod", "--backend-only",
                    "--backend-port", str(self.port)] if launched
                   else [sys.executable, "-c", _BACKEND_ONLY, str(self.port)])
        self.process = subprocess.Popen(
            command, cwd=PROJECT_ROOT,
            env={**env, "REFLEX_ENV_MODE": "prod", "__REFLEX_SKIP_COMPILE": "true", "GRANIAN_WORKERS": "1",
                 "REFLEX_TELEMETRY_ENABLED": "false", "REFLEX_CHECK_LATEST_VERSION": "false"},
            stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert self.process.poll() is None, log.read_text(errors="replace")[-3000:]
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/api/openapi.json", timeout=2).status_code == 200:
                    return
            time.sleep(0.5)
        raise AssertionError(f"the backend did not start; see {log}")

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self._out.close()


def _csv_chunks(rows: int, per_chunk: int = 20_000) -> Iterator[bytes]:
    yield b"id,region,amount,note\n"
    for start in range(0, rows, per_chunk):
        yield b"".join(b"%d,north,%d.25,a line of words to fill the file\n" % (i, i * 7)
                       for i in range(start, min(rows, start + per_chunk)))


def _multipart(chunks: Iterator[bytes], filename: str) -> Iterator[bytes]:
    yield (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
           "Content-Type: text/csv\r\n\r\n").encode()
    yield from chunks
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def _sign_in(url: str) -> dict[str, str]:
    email = f"crash{time.monotonic_ns()}@example.com"
    assert httpx.post(f"{url}/api/auth/register", json={"email": email, "password": "s3cret-pass", "name": "C"},
                      timeout=30).status_code == 201
    login = httpx.post(f"{url}/api/auth/login", json={"email": email, "password": "s3cret-pass"}, timeout=30)
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def _upload(url: str, headers: dict[str, str], body: Iterator[bytes]) -> httpx.Response:
    return httpx.post(f"{url}/api/data/upload", content=body, timeout=300,
                      headers={**headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})


def _files(data_dir: Path, folder: str) -> list[Path]:
    root = data_dir / folder
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_a_backend_killed_during_an_upload_leaves_no_half_dataset(app_db, data_dir, tmp_path) -> None:
    env = {**os.environ, "LUMIERE_DATABASE_URL": app_db, "LUMIERE_DATA_DIR": str(data_dir),
           "LUMIERE_STAGING_IDLE_MIN": "0.05"}
    rows = 1_500_000  # about 70 MB
    first = Backend(env, tmp_path / "first.log")
    second: Backend | None = None
    try:
        headers = _sign_in(first.url)
        outcome: list[object] = []

        def send() -> None:
            try:
                outcome.append(_upload(first.url, headers, _multipart(_csv_chunks(rows), "big.csv")))
            except httpx.HTTPError as error:
                outcome.append(error)

        sender = threading.Thread(target=send)
        sender.start()
        deadline = time.monotonic() + 120
        while sum(path.stat().st_size for path in _files(data_dir, "tmp")) < 10_000_000:
            assert time.monotonic() < deadline and not outcome, outcome
            time.sleep(0.05)
        first.kill()  # mid-upload: part of the file is staged, none of it ingested
        sender.join(60)
        assert outcome and isinstance(outcome[0], httpx.HTTPError), outcome

        with session_scope() as session:
            assert session.exec(select(Source)).all() == []
        assert _files(data_dir, "datasets") == []
        assert _files(data_dir, "tmp"), "the killed backend left its staged part behind"

        time.sleep(4)  # idle past LUMIERE_STAGING_IDLE_MIN: the next worker's first reap removes it
        second = Backend(env, tmp_path / "second.log")
        deadline = time.monotonic() + 60
        while _files(data_dir, "tmp"):
            assert time.monotonic() < deadline, _files(data_dir, "tmp")
            time.sleep(0.3)

        again = _upload(second.url, headers, _multipart(_csv_chunks(rows), "big.csv"))
        assert again.status_code == 201, again.text
        assert again.json()["row_count"] == rows
        with session_scope() as session:
            assert len(session.exec(select(Source)).all()) == 1
        assert len(_files(data_dir, "datasets")) == 1
    finally:
        first.stop()
        if second is not None:
            second.stop()


def test_a_backend_process_that_dies_is_started_again(app_db, data_dir, tmp_path) -> None:
    """SIGKILL to the one worker process (what the out-of-memory killer does): Granian starts a new one,
    the same bearer token is served by it, and the server itself never stopped."""
    env = {**os.environ, "LUMIERE_DATABASE_URL": app_db, "LUMIERE_DATA_DIR": str(data_dir)}
    backend = Backend(env, tmp_path / "launched.log", launched=True)
    try:
        headers = _sign_in(backend.url)
        assert httpx.get(f"{backend.url}/api/data/sources", headers=headers, timeout=30).status_code == 200
        server = psutil.Process(backend.process.pid)
        (worker,) = _server_workers(server)
        worker.kill()
        deadline = time.monotonic() + 90
        while not (replaced := [w for w in _server_workers(server) if w.pid != worker.pid]):
            assert backend.process.poll() is None, backend.log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, backend.log.read_text(errors="replace")[-3000:]
            time.sleep(0.5)
        while True:
            with contextlib.suppress(httpx.HTTPError):
                listed = httpx.get(f"{backend.url}/api/data/sources", headers=headers, timeout=10)
                if listed.status_code == 200:
                    break
            assert time.monotonic() < deadline, backend.log.read_text(errors="replace")[-3000:]
            time.sleep(0.5)
        assert listed.json()["total"] == 0
        assert replaced[0].is_running() and backend.process.poll() is None
        assert "Unexpected exit from worker-1" in backend.log.read_text(errors="replace")
    finally:
        backend.stop()


def test_a_page_upload_that_stalls_is_dropped_with_a_408(app_db, data_dir, tmp_path) -> None:
    from lumiere.state.data_upload import UploadState

    env = {**os.environ, "LUMIERE_DATABASE_URL": app_db, "LUMIERE_DATA_DIR": str(data_dir),
           "LUMIERE_UPLOAD_IDLE_TIMEOUT_S": "2"}
    backend = Backend(env, tmp_path / "stalled.log")
    try:
        first_part = (
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"__reflex_event_args\"\r\n\r\n"
            f'{{"announced": []}}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="stalled.csv"\r\nContent-Type: text/csv\r\n\r\nid,amount\n' + "1,2.5\n" * 5000
        ).encode()
        head = (f"POST /_upload HTTP/1.1\r\nHost: 127.0.0.1\r\nreflex-client-token: stalled-tab\r\n"
                f"reflex-event-handler: {UploadState.get_full_name()}.receive_upload\r\n"
                f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: 10000000\r\n\r\n")
        with socket.create_connection(("127.0.0.1", backend.port), timeout=30) as connection:
            connection.sendall(head.encode() + first_part)  # then nothing more, as a stalled client does
            started = time.monotonic()
            answer = connection.recv(65536)
            waited = time.monotonic() - started
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"The upload stalled: no data arrived for 2 s" in answer
        assert 1.5 <= waited < 20, waited
        assert httpx.get(f"{backend.url}/ping", timeout=10).status_code == 200
        assert "no body data for 2 s" in backend.log.read_text(errors="replace")
    finally:
        backend.stop()


def _server_workers(server: psutil.Process) -> list[psutil.Process]:
    """Granian's worker processes: the children of the launcher that serve (not multiprocessing's helpers)."""
    workers = []
    for child in server.children():
        with contextlib.suppress(psutil.Error):  # the killed one is a zombie until Granian reaps it
            if child.status() != psutil.STATUS_ZOMBIE and "resource_tracker" not in " ".join(child.cmdline()):
                workers.append(child)
    return workers


def test_the_app_serves_through_a_redis_outage_and_jobs_resume(app_db, data_dir, tmp_path, client, monkeypatch):
    redis_server = RedisServer(tmp_path / "redis")
    redis_server.start()
    smtp = SmtpServer()
    smtp.start()
    monkeypatch.setenv("LUMIERE_REDIS_URL", redis_server.url)
    monkeypatch.setenv("LUMIERE_REDIS_TIMEOUT_S", "2")
    reset_settings()
    reset_job_queues()
    install()  # "Run now" in this process queues on the test's Redis
    worker = Worker(_worker_env(app_db, data_dir, smtp_port=str(smtp.port), redis_url=redis_server.url,
                                redis_timeout_s="2"), tmp_path / "worker.log")
    try:
        worker.wait_started(timeout=240)
        redis_server.stop()
        outage_started = time.monotonic()

        email = f"outage{time.monotonic_ns()}@example.com"
        assert client.post("/api/auth/register", json={"email": email, "password": "s3cret-pass", "name": "O"}
                           ).status_code == 201
        login = client.post("/api/auth/login", json={"email": email, "password": "s3cret-pass"})
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        sample = client.post("/api/data/sample", headers=headers)
        assert sample.status_code == 201, sample.text
        asked = client.post("/api/ai/query", headers=headers,
                            json={"source_id": sample.json()["id"], "question": "rows per continent"})
        assert asked.status_code == 200, asked.text
        assert client.get("/api/data/sources", headers=headers).json()["total"] == 1
        during = make_schedule(data_dir, recipients=["during@example.com"])
        held_back = run_now(during)  # committed; the queue cannot be reached, so the job waits in this process
        time.sleep(max(0.0, 5 - (time.monotonic() - outage_started)))  # the worker spends a while without Redis
        assert worker.process.poll() is None, worker.log.read_text(errors="replace")

        redis_server.start()  # same port, same append-only file
        scheduled = make_schedule(data_dir, recipients=["ops@example.com"])
        run = wait_for_run(run_now(scheduled), timeout=90)  # goes through, and sends the held-back job first
        assert run.status == RunStatus.SENT, (run.error, worker.log.read_text(errors="replace"))
        earlier = wait_for_run(held_back, timeout=90)
        assert earlier.status == RunStatus.SENT, (earlier.error, worker.log.read_text(errors="replace"))
        assert sorted(item.recipients[0] for item in smtp.messages()) == ["during@example.com", "ops@example.com"]
        log = worker.log.read_text(errors="replace")
        assert "Error while reading from" in log or "Connection refused" in log or "connecting to" in log, log
    finally:
        worker.stop()
        smtp.stop()
        redis_server.stop()
        reset_job_queues()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_upload_that_stalls_is_dropped_with_408_and_leaves_nothing(app_db, data_dir, tmp_path) -> None:
    env = {**os.environ, "LUMIERE_DATABASE_URL": app_db, "LUMIERE_DATA_DIR": str(data_dir),
           "LUMIERE_UPLOAD_IDLE_TIMEOUT_S": "2"}
    backend = Backend(env, tmp_path / "backend.log")
    try:
        headers = _sign_in(backend.url)
        head = next(_multipart(iter([]), "slow.csv"))
        with socket.create_connection(("127.0.0.1", backend.port), timeout=30) as client:
            client.sendall(
                (f"POST /api/data/upload HTTP/1.1\r\nHost: 127.0.0.1:{backend.port}\r\n"
                 f"Authorization: {headers['Authorization']}\r\n"
                 f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: 10000000\r\n\r\n").encode()
                + head + b"id,region\n" + b"1,north\n" * 10_000
            )
            started = time.monotonic()
            answer = client.recv(65536).decode(errors="replace")  # then the client sends nothing more
            waited = time.monotonic() - started
        assert answer.startswith("HTTP/1.1 408"), answer
        assert "stalled" in answer and 1.5 <= waited < 15, (waited, answer)
        assert _files(data_dir, "tmp") == [] and _files(data_dir, "datasets") == []
        with session_scope() as session:
            assert session.exec(select(Source)).all() == []
    finally:
        backend.stop()
