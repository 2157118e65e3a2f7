"""Scheduled queries made through the services, and waiting for their runs, for job and API tests."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lumiere.core.enums import RunStatus
from lumiere.db import saved_id, session_scope
from lumiere.models import ScheduleRun, User
from lumiere.services import schedules
from tests.helpers.queries import TIPS_BY_DAY, make_query, make_user

FINAL = (RunStatus.SENT, RunStatus.SKIPPED, RunStatus.FAILED)


@dataclass(frozen=True)
class Scheduled:
    user_id: int
    query_id: int
    schedule_id: int
    email: str


def make_schedule(
    folder: Path,
    *,
    sql: str = TIPS_BY_DAY,
    question: str = "Tips by day",
    recipients: list[str] | None = None,
    cron: str = "0 8 * * *",
    **options: Any,
) -> Scheduled:
    """A user, a tips source, a successful query and a schedule of it, committed."""
    with session_scope() as session:
        user = make_user(session)
        query = make_query(session, user, folder, sql=sql, question=question)
        schedule = schedules.create_schedule(
            session, user, query_id=saved_id(query), cron_expression=cron, timezone="Europe/Paris",
            recipients=recipients or ["team@example.com"], **options,
        )
        return Scheduled(saved_id(user), saved_id(query), saved_id(schedule), user.email)


def run_now(scheduled: Scheduled) -> int:
    with session_scope() as session:
        user = session.get(User, scheduled.user_id)
        assert user is not None
        return saved_id(schedules.run_now(session, user, scheduled.schedule_id))


def wait_for_run(run_id: int, timeout: float = 60.0) -> ScheduleRun:
    """The run once it has finished (sent, skipped or failed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope() as session:
            run = session.get(ScheduleRun, run_id)
            if run is not None and run.status in FINAL:
                return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish within {timeout} s")
