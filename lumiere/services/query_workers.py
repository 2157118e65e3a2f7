"""A pool of query worker processes (a few started ahead, more when queries run at once), and the
client that runs one query on one of them.

Each worker (`lumiere.storage.query_worker`) runs under OS memory and CPU limits, so a query that
escapes DuckDB's own accounting kills a worker, not the app. The app keeps the wall clock: at the
deadline it asks the worker to stop, and kills it after the grace period; any worker that dies is
replaced at once. Workers are plain `python -m` subprocesses on pipes (no fork of a threaded app,
no re-import of its `__main__`), and they answer in JSON only.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Generator, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lumiere.config import PROJECT_ROOT, Settings, get_settings
from lumiere.storage.worker_protocol import HEADER, Failure, decode, encode

logger = logging.getLogger(__name__)

_REINTERRUPT_S = 0.05
_CLOSE_WAIT_S = 2.0


class WorkerGone(Exception):
    """The worker process ended before it answered; `signal` is what ended it, if a signal did."""

    def __init__(self, returncode: int | None) -> None:
        super().__init__(f"query worker ended with {returncode}")
        self.signal = -returncode if returncode is not None and returncode < 0 else None


class WorkerTimedOut(Exception):
    """The deadline passed; the worker stopped the query, or was killed when it did not."""


@dataclass(frozen=True)
class PoolShape:
    """What a pool's processes are started with; a change of settings starts a new pool."""

    workers: int
    memory_bytes: int
    warm: int = 0  # started with the pool; the others on demand, up to `workers`

    @classmethod
    def of(cls, settings: Settings) -> PoolShape:
        return cls(settings.query_workers, settings.query_worker_memory_bytes,
                   min(settings.query_workers_warm, settings.query_workers))


class QueryWorker:
    """One worker process and the pipes to it; used by one caller at a time."""

    _ids = itertools.count(1)

    def __init__(self, shape: PoolShape) -> None:
        self.spill_prefix = f"worker-{os.getpid()}-{next(self._ids)}-"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lumiere.storage.query_worker", str(shape.memory_bytes)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=PROJECT_ROOT,
            close_fds=True,
            start_new_session=True,  # a Ctrl-C meant for the app does not reach the workers
        )
        self._buffer = bytearray()
        self._spill_roots: set[Path] = set()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def ask(self, request: dict[str, Any], deadline: float, grace_s: float) -> dict[str, Any]:
        """Send `request`, wait for its answer until `deadline`, then interrupt; kill after `grace_s`."""
        request_id = int(request["id"])
        self._spill_roots.add(Path(request["spill_root"]))
        try:
            self._send(request)
            answer = self._receive(deadline)
            if answer is not None:
                return self._settle(answer)
            give_up_at = time.monotonic() + grace_s
            while time.monotonic() < give_up_at:
                self._send({"op": "interrupt", "id": request_id})
                answer = self._receive(min(give_up_at, time.monotonic() + _REINTERRUPT_S))
                if answer is not None:
                    self._settle(answer)
                    raise WorkerTimedOut
        except (BrokenPipeError, ConnectionResetError, EOFError):
            raise WorkerGone(self._reap()) from None
        logger.error(
            "A query ignored its interrupt for %g s; its worker (pid %d) is killed.", grace_s, self.process.pid
        )
        self.kill()
        raise WorkerTimedOut

    def stream(self, request: dict[str, Any], deadline: float, grace_s: float) -> Generator[dict[str, Any]]:
        """Send a `stream` request and yield its frames (header, batches) until the worker says it is done.

        A failure frame is yielded and ends the stream. At the deadline, or when the caller stops
        early (closes this generator), the worker is interrupted and its remaining frames are read
        and dropped until it answers, so it comes back idle; it is killed if that takes longer than
        `grace_s`.
        """
        request_id = int(request["id"])
        self._spill_roots.add(Path(request["spill_root"]))
        finished = False
        try:
            self._send(request)
            while True:
                frame = self._receive(deadline)
                if frame is None:
                    finished = True
                    self._stop(request_id, grace_s)
                    raise WorkerTimedOut
                finished = bool(frame.get("done")) or frame.get("ok") is False
                if finished:
                    self._settle(frame)
                yield frame
                if finished:
                    return
        except (BrokenPipeError, ConnectionResetError, EOFError):
            finished = True
            raise WorkerGone(self._reap()) from None
        finally:
            if not finished and self.alive:
                self._stop(request_id, grace_s)

    def _stop(self, request_id: int, grace_s: float) -> None:
        """Interrupt a running stream and drop its frames until its last one; kill the worker if it takes too long."""
        give_up_at = time.monotonic() + grace_s
        try:
            self._send({"op": "interrupt", "id": request_id})
            while time.monotonic() < give_up_at:
                frame = self._receive(give_up_at)
                if frame is not None and (frame.get("done") or frame.get("ok") is False):
                    self._settle(frame)
                    return
        except (BrokenPipeError, ConnectionResetError, EOFError):
            self._reap()
            return
        logger.error("A stream ignored its interrupt for %g s; its worker (pid %d) is killed.", grace_s,
                     self.process.pid)
        self.kill()

    def _settle(self, answer: dict[str, Any]) -> dict[str, Any]:
        if answer.get("failure") == Failure.OUT_OF_MEMORY.value:
            # Its allocator may keep the memory it reached, close to its limit: start afresh.
            self.close()
        return answer

    def close(self) -> None:
        """Ask the worker to end (it ends at the end of its input) and kill it if it does not."""
        try:
            if self.process.stdin:
                self.process.stdin.close()
            self.process.wait(_CLOSE_WAIT_S)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()
        self._cleanup()

    def kill(self) -> None:
        with suppress(OSError):
            self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self._cleanup()

    def _cleanup(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass
        # A killed worker leaves its query's spill folder behind.
        for root in self._spill_roots:
            for folder in root.glob(f"{self.spill_prefix}*"):
                shutil.rmtree(folder, ignore_errors=True)

    def _reap(self) -> int | None:
        try:
            self.process.wait(_CLOSE_WAIT_S)
        except subprocess.TimeoutExpired:
            self.kill()
        self._cleanup()
        return self.process.returncode

    def _send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(encode(message))
        self.process.stdin.flush()

    def _receive(self, until: float) -> dict[str, Any] | None:
        """The next whole frame, None if `until` passes first; EOFError if the worker is gone."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        while True:
            if len(self._buffer) >= HEADER.size:
                size = HEADER.unpack_from(self._buffer)[0]
                if len(self._buffer) >= HEADER.size + size:
                    body = bytes(self._buffer[HEADER.size:HEADER.size + size])
                    del self._buffer[:HEADER.size + size]
                    return decode(body)
            remaining = until - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise EOFError
                self._buffer += chunk


class QueryWorkerPool:
    """Workers handed out one caller at a time: `shape.warm` started at once, more on demand up to
    `shape.workers`, then kept; a dead worker is replaced when returned."""

    def __init__(self, shape: PoolShape) -> None:
        self.shape = shape
        self._ids = itertools.count(1)
        self._idle = [QueryWorker(shape) for _ in range(shape.warm)]
        self._started = len(self._idle)  # idle + busy + being started
        self._busy: set[QueryWorker] = set()
        self._free = threading.Condition()
        self._closed = False

    def next_id(self) -> int:
        return next(self._ids)

    def pids(self) -> list[int]:
        """The process ids of its live workers (for monitoring: each should stay below its limits)."""
        with self._free:
            return [worker.process.pid for worker in [*self._idle, *self._busy] if worker.alive]

    @contextmanager
    def lease(self, deadline: float) -> Iterator[QueryWorker | None]:
        """A worker for the caller alone, or None when none came free before `deadline`."""
        worker = self._take(deadline)
        if worker is None:
            yield None
            return
        try:
            yield worker
        finally:
            self._give_back(worker)

    def _take(self, deadline: float) -> QueryWorker | None:
        with self._free:
            while not self._idle and self._started >= self.shape.workers and not self._closed:
                if not self._free.wait(max(0.0, deadline - time.monotonic())) and time.monotonic() >= deadline:
                    break
            if self._closed:
                return None
            if self._idle:
                worker = self._idle.pop()
                self._busy.add(worker)
                return worker
            if self._started >= self.shape.workers:
                return None
            self._started += 1  # counted before it starts, so callers at once never start too many
        try:
            worker = QueryWorker(self.shape)  # outside the lock: others take and return workers meanwhile
        except BaseException:
            with self._free:
                self._started -= 1
                self._free.notify()
            raise
        with self._free:
            self._busy.add(worker)
        return worker

    def close(self) -> None:
        with self._free:
            self._closed = True
            idle, self._idle = self._idle, []
            self._free.notify_all()
        for worker in idle:
            worker.close()

    def _give_back(self, worker: QueryWorker) -> None:
        with self._free:
            self._busy.discard(worker)
            if self._closed:
                closing = worker
            elif worker.alive:
                self._idle.append(worker)
                closing = None
            else:
                self._idle.append(QueryWorker(self.shape))
                closing = None
            self._free.notify()
        if closing is not None:
            closing.close()


_pool: QueryWorkerPool | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


def current_pool() -> QueryWorkerPool:
    """This process's pool for the current settings (a new one when they changed or after a fork)."""
    global _pool, _pool_pid
    shape = PoolShape.of(get_settings())
    with _pool_lock:
        if _pool is not None and _pool_pid == os.getpid() and _pool.shape == shape:
            return _pool
        old = _pool if _pool_pid == os.getpid() else None
        _pool, _pool_pid = QueryWorkerPool(shape), os.getpid()
        pool = _pool
    if old is not None:
        old.close()
    return pool


@atexit.register
def shutdown() -> None:
    """End every worker of this process (at exit, and for tests)."""
    global _pool
    with _pool_lock:
        pool, _pool = (_pool if _pool_pid == os.getpid() else None), None
    if pool is not None:
        pool.close()
