"""Worker processes (`python -m lumiere.cli worker`) as operators run them.

- Scale-out: two workers on one Redis and one PostgreSQL database, both ticking at the same instants,
  a per-minute schedule for three minutes: exactly one email per minute (marked `scaleout`, about
  three minutes; deselect with -m "not scaleout").
- Restart during a run: a worker killed while it is sending leaves the run "running"; the next worker
  to start reaps it, failed with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from aiosmtpd.controller import Controller
from sqlmodel import col, select

from lumiere.config import PROJECT_ROOT
from lumiere.core.enums import RunStatus, RunTrigger
from lumiere.db import session_scope
from lumiere.jobs import install, reset_job_queues
from lumiere.models import Schedule, ScheduleRun
from tests.helpers.schedules import Scheduled, make_schedule, run_now
from tests.helpers.smtp import SmtpServer, free_port

REDIS_URL = os.environ.get("LUMIERE_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


class Worker:
    """One `python -m lumiere.cli worker` process in its own process group (its query workers and
    chart browser with it), logging to a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lumiere.cli", "worker"], cwd=PROJECT_ROOT, env=env, stdout=self._out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_started(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "Lumiere worker:" in self.log.read_text(errors="replace"):
                return
            assert self.process.poll() is None, self.log.read_text(errors="replace")
            time.sleep(0.2)
        raise AssertionError(f"worker did not start:\n{self.log.read_text(errors='replace')}")

    def kill(self) -> None:
        """SIGKILL to the whole group: what a crash or a power cut does."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self._out.close()

    def stop(self) -> None:
        """SIGTERM (a graceful stop), then anything left in the group is killed."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self._out.close()


def _worker_env(app_db: str, data_dir: Path, **settings: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "LUMIERE_DATABASE_URL": app_db, "LUMIERE_DATA_DIR": str(data_dir), "LUMIERE_SMTP_TLS": "none",
        "LUMIERE_SMTP_HOST": "127.0.0.1", "LUMIERE_LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1",
    })
    env.update({f"LUMIERE_{name.upper()}": value for name, value in settings.items()})
    return env


def _runs(scheduled: Scheduled) -> list[ScheduleRun]:
    with session_scope() as session:
        return list(session.exec(select(ScheduleRun).where(ScheduleRun.schedule_id == scheduled.schedule_id)
                                 .order_by(col(ScheduleRun.id))).all())


@pytest.fixture
def redis_queue() -> Iterator[str]:
    """A queue name of its own on the test Redis database; its keys are deleted afterwards."""
    name = f"lumiere_test_{secrets.token_hex(4)}"
    yield name
    connection = redis.Redis.from_url(REDIS_URL)
    for key in connection.scan_iter(match=f"huey.*{name}*"):
        connection.delete(key)
    connection.close()


@pytest.mark.scaleout
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_workers_on_redis_send_exactly_one_email_per_minute(app_db, data_dir, redis_queue, tmp_path) -> None:
    smtp = SmtpServer()
    smtp.start()
    env = _worker_env(app_db, data_dir, smtp_port=str(smtp.port), redis_url=REDIS_URL, job_queue_name=redis_queue,
                      schedule_tick_s="2", job_workers="2")
    workers = [Worker(env, tmp_path / f"worker-{index}.log") for index in range(2)]
    try:
        for worker in workers:
            worker.wait_started()
        scheduled = make_schedule(data_dir, cron="* * * * *", recipients=["ops@example.com"])
        deadline = time.monotonic() + 200
        while time.monotonic() < deadline:
            sent = [run for run in _runs(scheduled) if run.status == RunStatus.SENT]
            if len(sent) >= 3:
                break
            assert all(worker.process.poll() is None for worker in workers)
            time.sleep(1)
        with session_scope() as session:  # no new firing is claimed while we count
            schedule = session.get(Schedule, scheduled.schedule_id)
            assert schedule is not None
            schedule.enabled = False
            session.add(schedule)
        time.sleep(3)
    finally:
        for worker in workers:
            worker.stop()
        smtp.stop()
    logs = "\n".join(worker.log.read_text(errors="replace") for worker in workers)
    runs = _runs(scheduled)
    finished = [run for run in runs if run.status in (RunStatus.SENT, RunStatus.FAILED, RunStatus.SKIPPED)]
    assert len(finished) >= 3, logs
    assert all(run.status == RunStatus.SENT and run.trigger == RunTrigger.CRON for run in finished), (runs, logs)
    minutes = [run.fire_at for run in finished]
    assert all(moment is not None and moment.second == 0 for moment in minutes)
    assert len(set(minutes)) == len(minutes)  # one run per firing
    received = smtp.messages()
    assert len(received) == len(finished)  # one email per firing, none twice
    assert all(item.recipients == ["ops@example.com"] for item in received)
    assert "Traceback" not in logs, logs


class _StallingHandler:
    """Accepts a message's envelope, then never answers its DATA: a mail server that hangs."""

    def __init__(self) -> None:
        self.seen = False

    async def handle_DATA(self, _server: Any, _session: Any, _envelope: Any) -> str:
        self.seen = True
        await asyncio.sleep(600)
        return "250 too late"


def test_a_run_left_running_by_a_killed_worker_is_reaped_by_the_next_one(app_db, data_dir, tmp_path) -> None:
    handler = _StallingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    reset_job_queues()
    install()  # "Run now" in this process queues on the SQLite queue the workers read
    scheduled = make_schedule(data_dir)
    env = _worker_env(app_db, data_dir, smtp_port=str(port), smtp_timeout_s="300", run_timeout_s="120")
    first = Worker(env, tmp_path / "first.log")
    second: Worker | None = None
    try:
        run_id = run_now(scheduled)
        deadline = time.monotonic() + 90
        while not handler.seen:  # the first worker is in the middle of sending
            assert time.monotonic() < deadline, first.log.read_text(errors="replace")
            time.sleep(0.2)
        first.kill()
        (run,) = _runs(scheduled)
        assert run.id == run_id and run.status == RunStatus.RUNNING and run.started_at is not None
        # The next worker is started with a short run timeout, so its first reap (at start-up) finds it stuck.
        second = Worker(_worker_env(app_db, data_dir, smtp_port=str(port), run_timeout_s="2",
                                    run_reap_margin_s="1"), tmp_path / "second.log")
        deadline = time.monotonic() + 60
        while _runs(scheduled)[0].status == RunStatus.RUNNING:
            assert time.monotonic() < deadline, second.log.read_text(errors="replace")
            time.sleep(0.3)
    finally:
        if first.process.poll() is None:
            first.kill()
        if second is not None:
            second.stop()
        controller.stop()
    (run,) = _runs(scheduled)
    assert run.status == RunStatus.FAILED and run.finished_at is not None
    assert run.error is not None and "the worker running it stopped or hung" in run.error
    assert "not retried because some emails may already have gone out" in run.error
