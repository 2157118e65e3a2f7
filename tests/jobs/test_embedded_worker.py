"""The embedded worker: the app's lifespan starts worker threads and the scheduler after the migrations,
runs jobs while the app runs, stops them with it, and stays off when LUMIERE_EMBEDDED_WORKER is false."""

from __future__ import annotations

import asyncio

from lumiere.config import reset_settings
from lumiere.core.enums import RunStatus
from lumiere.db import session_scope
from lumiere.jobs import embedded_worker_lifespan, reset_job_queues
from lumiere.models import ScheduleRun
from tests.helpers.schedules import make_schedule, run_now, wait_for_run
from tests.helpers.smtp import SmtpServer


def test_the_app_starts_the_embedded_worker_after_its_migrations() -> None:
    from lumiere.lumiere import app

    names = [getattr(task, "__name__", "") for task in app.get_lifespan_tasks()]
    assert names.index("_apply_migrations") < names.index("embedded_worker_lifespan")


def test_jobs_run_while_the_app_runs(mail_settings: SmtpServer, data_dir) -> None:
    reset_job_queues()
    scheduled = make_schedule(data_dir)

    async def app_running() -> RunStatus:
        async with embedded_worker_lifespan():
            run = await asyncio.to_thread(wait_for_run, await asyncio.to_thread(run_now, scheduled))
            return RunStatus(run.status)

    assert asyncio.run(app_running()) == RunStatus.SENT
    assert len(mail_settings.wait_for(1)) == 1
    reset_job_queues()


def test_with_the_embedded_worker_off_runs_wait_for_a_standalone_worker(mail_settings: SmtpServer, data_dir,
                                                                         monkeypatch) -> None:
    monkeypatch.setenv("LUMIERE_EMBEDDED_WORKER", "false")
    reset_settings()
    reset_job_queues()
    scheduled = make_schedule(data_dir)

    async def app_running() -> int:
        async with embedded_worker_lifespan():
            run_id = await asyncio.to_thread(run_now, scheduled)
            await asyncio.sleep(2)
            return run_id

    run_id = asyncio.run(app_running())
    with session_scope() as session:
        run = session.get(ScheduleRun, run_id)
        assert run is not None and run.status == RunStatus.QUEUED
    assert mail_settings.messages() == []
    reset_job_queues()


def test_stuck_runs_are_looked_for_as_often_as_a_run_can_become_stuck(monkeypatch) -> None:
    from lumiere.jobs.runtime import reap_interval_s

    for timeout, margin, expected in (("600", "120", 60.0), ("2", "1", 3.0), ("0.2", "0", 1.0)):
        monkeypatch.setenv("LUMIERE_RUN_TIMEOUT_S", timeout)
        monkeypatch.setenv("LUMIERE_RUN_REAP_MARGIN_S", margin)
        reset_settings()
        assert reap_interval_s() == expected
    monkeypatch.undo()
    reset_settings()
