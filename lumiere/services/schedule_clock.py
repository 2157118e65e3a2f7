"""The scheduler's tick and the reaper: which cron firings run, exactly once, and which runs are stuck.

Every worker process ticks (embedded in the app, or `python -m lumiere.cli worker`), so several may
see the same due schedule at once. A firing is claimed by inserting its run row, unique on
`(schedule_id, fire_at)`, with INSERT … ON CONFLICT DO NOTHING: of the workers that try, exactly
one inserts it, and only that one advances `next_run_at` and enqueues the run.

After downtime only the latest missed firing runs, and only if it is at most the grace window old;
the earlier ones are recorded as one skipped run ("missed while the server was down"), so a restart
never sends a burst of stale reports.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from lumiere.config import get_settings
from lumiere.core.enums import JobKind, RunStatus, RunTrigger
from lumiere.db import session_scope
from lumiere.models import Schedule, ScheduleRun
from lumiere.services import cron
from lumiere.services.dispatch import Job, after_commit
from lumiere.services.mail.links import remove_expired_downloads
from lumiere.services.mail.outbox import discard, remove_stale_letters

logger = logging.getLogger(__name__)

DUE_BATCH = 200


def run_letter_key(run_id: int) -> str:
    """The outbox folder of a run's email."""
    return f"run-{run_id}"


@dataclass
class TickReport:
    """What one tick did: runs it claimed and queued, firings it recorded as missed."""

    queued: list[int] = field(default_factory=list)
    missed: list[int] = field(default_factory=list)


def _insert_run(session: Session, **values: object) -> int | None:
    """The new run's id, or None when this firing was already claimed."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(ScheduleRun.__table__)  # type: ignore[attr-defined]
        .values(attempts=0, **values)
        .on_conflict_do_nothing(index_elements=["schedule_id", "fire_at"])
        .returning(ScheduleRun.__table__.c.id)  # type: ignore[attr-defined]
    )
    return session.execute(statement).scalar_one_or_none()


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _claim(session: Session, schedule_id: int, now: datetime, report: TickReport) -> None:
    schedule = session.get(Schedule, schedule_id)
    if schedule is None or not schedule.enabled or schedule.next_run_at is None or schedule.next_run_at > now:
        return
    due_since = schedule.next_run_at
    latest = cron.latest_firing(schedule.cron, schedule.timezone, now)
    if latest is None or latest < due_since:
        latest = due_since  # the stored time is a firing of an earlier cron: it is what came due
    grace = timedelta(minutes=get_settings().missed_run_grace_min)
    on_time = now - latest <= grace
    missed_note = f"Missed while the server was down (due {_when(latest)}, more than {grace} ago)."
    run_id = _insert_run(
        session,
        schedule_id=schedule_id,
        fire_at=latest,
        trigger=RunTrigger.CRON,
        status=RunStatus.QUEUED if on_time else RunStatus.SKIPPED,
        error=None if on_time else missed_note,
        queued_at=now,
        finished_at=None if on_time else now,
    )
    if run_id is None:
        return  # another worker claimed this firing; it advances the schedule
    if due_since < latest:
        missed = cron.count_firings(schedule.cron, schedule.timezone, due_since, latest)
        plural = "firing" if missed == 1 else "firings"
        earlier = _insert_run(
            session,
            schedule_id=schedule_id,
            fire_at=due_since,
            trigger=RunTrigger.CRON,
            status=RunStatus.SKIPPED,
            error=f"Missed while the server was down: {missed:,} {plural} from {_when(due_since)} to before "
                  f"{_when(latest)} did not run.",
            queued_at=now,
            finished_at=now,
        )
        if earlier is not None:
            report.missed.append(earlier)
    following = cron.next_firing(schedule.cron, schedule.timezone, now)
    session.execute(
        update(Schedule)
        .where(col(Schedule.id) == schedule_id, col(Schedule.next_run_at) == due_since)
        .values(next_run_at=following, last_status=RunStatus.QUEUED if on_time else RunStatus.SKIPPED)
        .execution_options(synchronize_session=False)
    )
    if on_time:
        after_commit(session, Job(JobKind.RUN, (run_id,)))
        report.queued.append(run_id)
    else:
        report.missed.append(run_id)


def tick(now: datetime | None = None) -> TickReport:
    """Claims every due firing this worker can, one schedule per transaction."""
    now = now or datetime.now(UTC)
    report = TickReport()
    with session_scope() as session:
        due = session.exec(
            select(Schedule.id)
            .where(col(Schedule.enabled).is_(True), col(Schedule.next_run_at) <= now)
            .order_by(col(Schedule.next_run_at))
            .limit(DUE_BATCH)
        ).all()
    for schedule_id in due:
        if schedule_id is None:
            continue
        try:
            with session_scope() as session:
                _claim(session, schedule_id, now, report)
        except OperationalError:  # a busy database: the next tick tries again
            logger.warning("Could not claim the due firing of schedule %s now", schedule_id, exc_info=True)
        except Exception:  # one broken schedule must not stop the others
            logger.exception("Claiming the due firing of schedule %s failed", schedule_id)
    return report


@dataclass
class ReapReport:
    stuck: list[int] = field(default_factory=list)
    unclaimed: list[int] = field(default_factory=list)
    files_removed: int = 0


def _fail(session: Session, runs: list[ScheduleRun], status: RunStatus, message: str, now: datetime) -> list[int]:
    """Fails the runs still in `status` (a conditional update, so two reapers fail each once)."""
    failed: list[int] = []
    for run in runs:
        changed = session.execute(
            update(ScheduleRun)
            .where(col(ScheduleRun.id) == run.id, col(ScheduleRun.status) == status)
            .values(status=RunStatus.FAILED, error=message, finished_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if changed and run.id is not None:
            session.execute(
                update(Schedule).where(col(Schedule.id) == run.schedule_id).values(last_status=RunStatus.FAILED)
                .execution_options(synchronize_session=False)
            )
            failed.append(run.id)
    return failed


def reap(now: datetime | None = None) -> ReapReport:
    """Fails runs stuck in "running" past the run timeout plus a margin, and runs no worker picked up.

    A stuck run is failed, not retried: its worker died or hung part-way, possibly after emailing
    some recipients, and a retry could email them twice; "Run now" sends it again on purpose.
    """
    settings = get_settings()
    now = now or datetime.now(UTC)
    report = ReapReport()
    stuck_before = now - timedelta(seconds=settings.run_timeout_s + settings.run_reap_margin_s)
    waiting_before = now - timedelta(minutes=settings.run_queue_timeout_min)
    with session_scope() as session:
        stuck = list(session.exec(select(ScheduleRun).where(
            ScheduleRun.status == RunStatus.RUNNING, col(ScheduleRun.started_at) < stuck_before)).all())
        report.stuck = _fail(
            session, stuck, RunStatus.RUNNING,
            f"This run did not finish within {settings.run_timeout_s:g} s: the worker running it stopped or hung. "
            "It was not retried because some emails may already have gone out; use Run now to send it again.",
            now,
        )
        unclaimed = list(session.exec(select(ScheduleRun).where(
            ScheduleRun.status == RunStatus.QUEUED, col(ScheduleRun.queued_at) < waiting_before)).all())
        report.unclaimed = _fail(
            session, unclaimed, RunStatus.QUEUED,
            f"No worker picked this run up within {settings.run_queue_timeout_min:g} minutes. Check that a worker "
            "is running (make worker) or that LUMIERE_EMBEDDED_WORKER is on, then use Run now.",
            now,
        )
    for run_id in [*report.stuck, *report.unclaimed]:
        discard(run_letter_key(run_id))
    report.files_removed = remove_expired_downloads() + remove_stale_letters(
        settings.download_link_ttl_hours * 3600.0
    )
    return report
