"""The scheduler's tick and the reaper, on both databases, with the real job queue (Huey on SQLite).

Each cron firing runs once however many workers tick at the same moment; after downtime only the
latest firing within the grace window runs and older ones are recorded as skipped; daylight-saving
changes fire once; runs stuck in "running" or never picked up are failed with the reason.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from lumiere.core.enums import RunStatus, RunTrigger
from lumiere.db import session_scope
from lumiere.jobs import install, job_queue, reset_job_queues
from lumiere.models import Schedule, ScheduleRun
from lumiere.services import cron
from lumiere.services.mail.outbox import letter_dir
from lumiere.services.schedule_clock import reap, run_letter_key, tick
from tests.helpers.schedules import Scheduled, make_schedule


@pytest.fixture
def queue(app_db: str) -> Iterator[None]:
    """The real queue for this test's data dir, with nothing consuming it: what a tick enqueues stays there."""
    reset_job_queues()
    install()
    yield
    reset_job_queues()


def _pending() -> int:
    return int(job_queue().huey.pending_count())


def _due(scheduled: Scheduled, next_run_at: datetime) -> None:
    with session_scope() as session:
        session.execute(update(Schedule).where(col(Schedule.id) == scheduled.schedule_id)
                        .values(next_run_at=next_run_at))


def _runs(scheduled: Scheduled) -> list[ScheduleRun]:
    with session_scope() as session:
        return list(session.exec(select(ScheduleRun).where(ScheduleRun.schedule_id == scheduled.schedule_id)
                                 .order_by(col(ScheduleRun.fire_at))).all())


def _schedule(scheduled: Scheduled) -> Schedule:
    with session_scope() as session:
        found = session.get(Schedule, scheduled.schedule_id)
        assert found is not None
        return found


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def test_workers_ticking_at_the_same_moment_claim_each_firing_once(queue, data_dir) -> None:
    every_minute = [make_schedule(data_dir, cron="* * * * *") for _ in range(3)]
    start = _minute(datetime.now(UTC)) - timedelta(minutes=3)
    for scheduled in every_minute:
        _due(scheduled, start)
    errors: list[BaseException] = []

    def worker(now: datetime, barrier: threading.Barrier) -> None:
        try:
            barrier.wait()
            tick(now)
        except BaseException as error:
            errors.append(error)

    for minute in range(3):  # three firings, each seen by four workers ticking at once
        now = start + timedelta(minutes=minute, seconds=1)
        barrier = threading.Barrier(4)
        threads = [threading.Thread(target=worker, args=(now, barrier)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
    assert _pending() == 9
    for scheduled in every_minute:
        runs = _runs(scheduled)
        assert [run.fire_at for run in runs] == [start + timedelta(minutes=index) for index in range(3)]
        assert all(run.status == RunStatus.QUEUED and run.trigger == RunTrigger.CRON for run in runs)
        assert _schedule(scheduled).next_run_at == start + timedelta(minutes=3)


def test_after_downtime_only_the_latest_firing_within_the_grace_window_runs(queue, data_dir) -> None:
    scheduled = make_schedule(data_dir, cron="* * * * *")
    now = _minute(datetime.now(UTC)) + timedelta(seconds=5)
    _due(scheduled, now - timedelta(minutes=6, seconds=5))  # the server was down for six firings
    report = tick(now)
    assert len(report.queued) == 1 and len(report.missed) == 1 and _pending() == 1
    missed, latest = _runs(scheduled)
    assert latest.fire_at == _minute(now) and latest.status == RunStatus.QUEUED
    assert missed.status == RunStatus.SKIPPED and missed.fire_at == _minute(now) - timedelta(minutes=6)
    assert missed.error is not None and "Missed while the server was down: 6 firings" in missed.error
    assert _schedule(scheduled).next_run_at == _minute(now) + timedelta(minutes=1)
    assert tick(now).queued == [] and _pending() == 1  # nothing more is due: no burst


def test_a_firing_older_than_the_grace_window_is_recorded_as_skipped_and_does_not_run(queue, data_dir) -> None:
    scheduled = make_schedule(data_dir, cron="0 8 * * *")  # Europe/Paris
    today_eight = datetime(2026, 6, 10, 6, 0, tzinfo=UTC)
    _due(scheduled, today_eight - timedelta(days=2))
    report = tick(today_eight + timedelta(hours=4))
    assert report.queued == [] and len(report.missed) == 2 and _pending() == 0
    earlier, latest = _runs(scheduled)
    assert latest.fire_at == today_eight and latest.status == RunStatus.SKIPPED
    assert latest.error is not None and "more than 0:10:00 ago" in latest.error
    assert earlier.error is not None and "2 firings" in earlier.error
    schedule = _schedule(scheduled)
    assert schedule.next_run_at == today_eight + timedelta(days=1) and schedule.last_status == RunStatus.SKIPPED


def test_turned_off_schedules_do_not_fire(queue, data_dir) -> None:
    scheduled = make_schedule(data_dir, cron="* * * * *")
    now = datetime.now(UTC)
    _due(scheduled, now - timedelta(minutes=1))
    with session_scope() as session:
        session.execute(update(Schedule).where(col(Schedule.id) == scheduled.schedule_id).values(enabled=False))
    assert tick(now).queued == [] and _runs(scheduled) == [] and _pending() == 0


@pytest.mark.parametrize(("start", "end", "fired_utc"), [
    (datetime(2026, 3, 28, 23, 50, tzinfo=UTC), datetime(2026, 3, 29, 3, 0, tzinfo=UTC),
     datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),  # 02:30 does not exist in Paris that night: 03:00 CEST
    (datetime(2026, 10, 24, 23, 50, tzinfo=UTC), datetime(2026, 10, 25, 3, 0, tzinfo=UTC),
     datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),  # 02:30 happens twice: the first, 02:30 CEST
])
def test_ticking_through_a_daylight_saving_night_runs_the_firing_once(queue, data_dir, start, end,
                                                                        fired_utc) -> None:
    scheduled = make_schedule(data_dir, cron="30 2 * * *")
    first = cron.next_firing("30 2 * * *", "Europe/Paris", start)
    assert first is not None
    _due(scheduled, first)
    now = start
    while now <= end:
        tick(now)
        now += timedelta(seconds=20)
    assert [run.fire_at for run in _runs(scheduled)] == [fired_utc]
    assert _pending() == 1


def test_the_reaper_fails_stuck_and_unclaimed_runs_with_the_reason(queue, data_dir, monkeypatch) -> None:
    scheduled = make_schedule(data_dir)
    now = datetime.now(UTC)
    with session_scope() as session:
        rows = {
            "stuck": ScheduleRun(schedule_id=scheduled.schedule_id, status=RunStatus.RUNNING, attempts=1,
                                 started_at=now - timedelta(seconds=600 + 120 + 5), trigger=RunTrigger.MANUAL),
            "busy": ScheduleRun(schedule_id=scheduled.schedule_id, status=RunStatus.RUNNING, attempts=1,
                                started_at=now - timedelta(seconds=60), trigger=RunTrigger.MANUAL),
            "lost": ScheduleRun(schedule_id=scheduled.schedule_id, status=RunStatus.QUEUED,
                                queued_at=now - timedelta(minutes=61), trigger=RunTrigger.MANUAL),
            "waiting": ScheduleRun(schedule_id=scheduled.schedule_id, status=RunStatus.QUEUED,
                                   queued_at=now - timedelta(minutes=5), trigger=RunTrigger.MANUAL),
        }
        for row in rows.values():
            session.add(row)
        session.flush()
        ids = {name: row.id or 0 for name, row in rows.items()}
    stuck_folder = letter_dir(run_letter_key(ids["stuck"]))
    stuck_folder.mkdir(parents=True)
    report = reap(now)
    assert report.stuck == [ids["stuck"]] and report.unclaimed == [ids["lost"]]
    assert not stuck_folder.exists()
    with session_scope() as session:
        runs = {name: session.get(ScheduleRun, run_id) for name, run_id in ids.items()}
        assert all(run is not None for run in runs.values())
        stuck, busy, lost, waiting = (runs[name] for name in ("stuck", "busy", "lost", "waiting"))
        assert stuck is not None and stuck.status == RunStatus.FAILED and stuck.finished_at is not None
        assert stuck.error is not None and "did not finish within 600 s" in stuck.error and "Run now" in stuck.error
        assert lost is not None and lost.status == RunStatus.FAILED
        assert lost.error is not None and "No worker picked this run up within 60 minutes" in lost.error
        assert busy is not None and busy.status == RunStatus.RUNNING
        assert waiting is not None and waiting.status == RunStatus.QUEUED
    assert _schedule(scheduled).last_status == RunStatus.FAILED
    assert reap(now).stuck == []  # a second reaper finds nothing left
