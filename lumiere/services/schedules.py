"""Scheduled queries: a saved query's SQL run on a cron in a time zone and emailed as a file.

A schedule copies its query's question, SQL, source and chart when it is made, so deleting the
history entry does not break it. Each schedule counts against the plan's `schedules` limit (taken in
the creating transaction, given back on delete). Runs happen on the job queue: the scheduler
(`schedule_clock`) claims cron firings, `run_now` queues one at once, `schedule_runs` does the work.
Pages and the REST API call these functions; another user's schedule is reported as missing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func
from sqlmodel import Session, col, select

from lumiere.core.enums import ExportFormat, JobKind, QueryStatus, RunStatus, RunTrigger, UsageMetric
from lumiere.core.errors import Conflict, Invalid, NotFound
from lumiere.db import saved_id
from lumiere.models import Query, Schedule, ScheduleRun, Source, User
from lumiere.models._base import iso_utc, utcnow
from lumiere.services import cron, usage
from lumiere.services.dispatch import Job, after_commit
from lumiere.services.history import get_query
from lumiere.services.mail.mailer import NOT_CONFIGURED as NOT_CONFIGURED
from lumiere.services.mail.mailer import email_configured as email_configured
from lumiere.services.policy import Action, InSpace, authorize, may, visible_filter

MAX_NAME_CHARS = 200
MAX_RECIPIENTS = 20
MAX_EMAIL_CHARS = 254
MAX_PAGE_SIZE = 200
ONLY_IF_OPS = (">", ">=", "<", "<=", "=", "!=")
EDITABLE = frozenset({"name", "cron", "timezone", "recipients", "format", "only_if", "enabled"})

usage.register_total_reader(
    UsageMetric.SCHEDULES,
    lambda session, user_id: session.exec(
        select(func.count()).select_from(Schedule).where(Schedule.user_id == user_id)
    ).one(),
)


# --------------------------------------------------------------------------------------------
# Validation: each failure is a 422 naming its field


def clean_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise Invalid("Give the schedule a name.", field="name")
    name = " ".join(name.split())
    if len(name) > MAX_NAME_CHARS:
        raise Invalid(f"That name is too long: at most {MAX_NAME_CHARS} characters.", field="name")
    return name


def clean_recipients(recipients: object) -> list[str]:
    """1 to 20 distinct email addresses, normalized and lower-cased."""
    if isinstance(recipients, str):
        recipients = [part for part in recipients.replace(";", ",").split(",") if part.strip()]
    if not isinstance(recipients, list | tuple) or not recipients:
        raise Invalid("Add at least one email address to send to.", field="recipients")
    cleaned: list[str] = []
    for address in recipients:
        if not isinstance(address, str) or not address.strip():
            raise Invalid("Each recipient must be an email address.", field="recipients")
        shown = address.strip()[:80]
        if len(address.strip()) > MAX_EMAIL_CHARS:
            raise Invalid(f"'{shown}…' is too long for an email address.", field="recipients")
        try:
            normalized = validate_email(address.strip(), check_deliverability=False).normalized.lower()
        except EmailNotValidError as error:
            raise Invalid(f"'{shown}' is not a valid email address: {error}", field="recipients") from None
        if normalized not in cleaned:
            cleaned.append(normalized)
    if len(cleaned) > MAX_RECIPIENTS:
        raise Invalid(f"Send to at most {MAX_RECIPIENTS} addresses; this has {len(cleaned)}.", field="recipients")
    return cleaned


def clean_format(value: object) -> ExportFormat:
    try:
        return ExportFormat(str(value).strip().lower())
    except ValueError:
        choices = ", ".join(item.value for item in ExportFormat)
        raise Invalid(f"format must be one of {choices}.", field="format") from None


def clean_only_if(only_if: object) -> dict[str, Any] | None:
    """None (always send), {"rows": true} (send when there are rows), or a threshold on a column."""
    if only_if is None:
        return None
    explain = (
        'only_if is {"rows": true} (send only when there are rows) or {"column": "total", "op": ">", '
        '"value": 1000} (send only when a row\'s number crosses the threshold).'
    )
    if not isinstance(only_if, Mapping):
        raise Invalid(explain, field="only_if")
    if set(only_if) == {"rows"}:
        if only_if["rows"] is not True:
            raise Invalid(explain, field="only_if")
        return {"rows": True}
    if set(only_if) != {"column", "op", "value"}:
        raise Invalid(explain, field="only_if")
    column, op, value = only_if["column"], only_if["op"], only_if["value"]
    if not isinstance(column, str) or not column.strip() or len(column) > 200:
        raise Invalid("only_if.column must name a column of the result.", field="only_if")
    if op not in ONLY_IF_OPS:
        raise Invalid(f"only_if.op must be one of {' '.join(ONLY_IF_OPS)}.", field="only_if")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Invalid("only_if.value must be a number.", field="only_if")
    return {"column": column.strip(), "op": op, "value": value}


def _clean_enabled(value: object) -> bool:
    if not isinstance(value, bool):
        raise Invalid("enabled must be true or false.", field="enabled")
    return value


# --------------------------------------------------------------------------------------------
# Reading


def get_schedule(session: Session, user: User, schedule_id: int, action: Action = Action.VIEW) -> Schedule:
    """A schedule the user may `action`; a missing id and one they may not know of look the same (404)."""
    schedule = session.get(Schedule, schedule_id) if isinstance(schedule_id, int) else None
    missing = f"No schedule with id {schedule_id}."
    if schedule is None:
        raise NotFound(missing)
    authorize(session, user, schedule, action, missing=missing)
    return schedule


def _page(page: int, page_size: int) -> None:
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise Invalid(f"page starts at 1 and page_size is between 1 and {MAX_PAGE_SIZE}.", field="page")


def list_schedules(
    session: Session, user: User, *, page: int = 1, page_size: int = 50, workspace_id: int | None = None
) -> tuple[list[Schedule], int]:
    """One space's schedules, newest first, and how many there are."""
    _page(page, page_size)
    mine = visible_filter(session, Schedule, user, workspace_id)
    total = session.exec(select(func.count()).select_from(Schedule).where(mine)).one()
    items = session.exec(
        select(Schedule).where(mine).order_by(col(Schedule.created_at).desc(), col(Schedule.id).desc())
        .offset((page - 1) * page_size).limit(page_size)
    ).all()
    return list(items), int(total)


def list_runs(
    session: Session, user: User, schedule_id: int, *, page: int = 1, page_size: int = 50
) -> tuple[list[ScheduleRun], int]:
    """A schedule's runs, newest first (by when they were queued), and how many there are."""
    _page(page, page_size)
    get_schedule(session, user, schedule_id)
    of_schedule = col(ScheduleRun.schedule_id) == schedule_id
    total = session.exec(select(func.count()).select_from(ScheduleRun).where(of_schedule)).one()
    items = session.exec(
        select(ScheduleRun).where(of_schedule)
        .order_by(col(ScheduleRun.queued_at).desc(), col(ScheduleRun.id).desc())
        .offset((page - 1) * page_size).limit(page_size)
    ).all()
    return list(items), int(total)


# --------------------------------------------------------------------------------------------
# Changing


def _succeeded_query(session: Session, user: User, query_id: object) -> Query:
    if isinstance(query_id, bool) or not isinstance(query_id, int):
        raise Invalid("query_id must be the id of a query in your history.", field="query_id")
    query = get_query(session, user, query_id)
    if query.status != QueryStatus.OK or not query.sql.strip():
        raise Invalid("Only a query that succeeded can be scheduled; fix it and run it again first.", field="query_id")
    source = session.get(Source, query.source_id) if query.source_id is not None else None
    if source is None or not may(session, user, source, Action.ASK):
        raise Invalid(f"The data source '{query.source_name}' of this query was deleted, so it cannot be scheduled.",
                      field="query_id")
    return query


def _next_run(schedule: Schedule, after: datetime) -> datetime | None:
    if not schedule.enabled:
        return None
    return cron.next_firing(schedule.cron, schedule.timezone, after)


def create_schedule(
    session: Session,
    user: User,
    *,
    query_id: object,
    cron_expression: object,
    timezone: object,
    recipients: object,
    format: object = ExportFormat.CSV,
    name: object = None,
    only_if: object = None,
) -> Schedule:
    """A new enabled schedule of one of the user's successful queries (in the query's workspace: editors and
    admins only); 402 over the plan's limit."""
    query = _succeeded_query(session, user, query_id)
    authorize(session, user, InSpace(Schedule, query.workspace_id), Action.CREATE)
    schedule = Schedule(
        user_id=saved_id(user),
        workspace_id=query.workspace_id,
        query_id=saved_id(query),
        source_id=query.source_id,
        name=clean_name(name) if name is not None else clean_name(query.question[:MAX_NAME_CHARS] or
                                                                 f"Query {query.id}"),
        question=query.question,
        sql=query.sql,
        chart_json=query.chart_json,
        cron=cron.parse_cron(cron_expression),
        timezone=cron.parse_timezone(timezone),
        recipients_json=clean_recipients(recipients),
        format=clean_format(format),
        only_if_json=clean_only_if(only_if),
        enabled=True,
    )
    schedule.next_run_at = _next_run(schedule, utcnow())
    usage.take(session, user, UsageMetric.SCHEDULES)
    session.add(schedule)
    session.flush()
    return schedule


def update_schedule(session: Session, user: User, schedule_id: int, changes: Mapping[str, object]) -> Schedule:
    """Changes the given fields (`only_if: None` removes the condition); a new cron, time zone or
    re-enabling counts from now, so a schedule turned back on does not catch up on what it missed."""
    unknown = sorted(set(changes) - EDITABLE)
    if unknown:
        raise Invalid(f"These fields cannot be changed: {', '.join(unknown)}.", field=unknown[0])
    schedule = get_schedule(session, user, schedule_id, Action.CHANGE)
    timing_changed = False
    if "name" in changes:
        schedule.name = clean_name(changes["name"])
    if "cron" in changes:
        cleaned = cron.parse_cron(changes["cron"])
        timing_changed |= cleaned != schedule.cron
        schedule.cron = cleaned
    if "timezone" in changes:
        zone = cron.parse_timezone(changes["timezone"])
        timing_changed |= zone != schedule.timezone
        schedule.timezone = zone
    if "recipients" in changes:
        schedule.recipients_json = clean_recipients(changes["recipients"])
    if "format" in changes:
        schedule.format = clean_format(changes["format"])
    if "only_if" in changes:
        schedule.only_if_json = clean_only_if(changes["only_if"])
    if "enabled" in changes:
        enabled = _clean_enabled(changes["enabled"])
        timing_changed |= enabled != schedule.enabled
        schedule.enabled = enabled
    if timing_changed:
        schedule.next_run_at = _next_run(schedule, utcnow())
    schedule.updated_at = utcnow()
    session.add(schedule)
    session.flush()
    return schedule


def delete_schedule(session: Session, user: User, schedule_id: int) -> None:
    """Deletes the schedule and its runs; a run still queued finds nothing and does nothing."""
    schedule = get_schedule(session, user, schedule_id, Action.DELETE)
    usage.give_back(session, schedule.user_id, UsageMetric.SCHEDULES)  # the unit was its creator's
    session.delete(schedule)
    session.flush()


def run_now(session: Session, user: User, schedule_id: int) -> ScheduleRun:
    """Queues a run outside the cron (even when the schedule is turned off); 409 while one waits or runs."""
    schedule = get_schedule(session, user, schedule_id, Action.CHANGE)
    busy = session.exec(
        select(func.count()).select_from(ScheduleRun).where(
            ScheduleRun.schedule_id == schedule_id,
            ScheduleRun.trigger == RunTrigger.MANUAL,
            col(ScheduleRun.status).in_([RunStatus.QUEUED, RunStatus.RUNNING]),
        )
    ).one()
    if busy:
        raise Conflict("A run of this schedule started with Run now is still waiting or running; "
                       "wait for it to finish.")
    run = ScheduleRun(schedule_id=schedule_id, trigger=RunTrigger.MANUAL, status=RunStatus.QUEUED)
    session.add(run)
    schedule.last_status = RunStatus.QUEUED
    session.add(schedule)
    session.flush()
    after_commit(session, Job(JobKind.RUN, (saved_id(run),)))
    return run


# --------------------------------------------------------------------------------------------
# What leaves the service


@dataclass(frozen=True)
class ScheduleView:
    """The API's `schedule`, and what the schedules page lists."""

    id: int
    name: str
    query_id: int | None
    cron: str
    timezone: str
    recipients: list[str]
    format: ExportFormat
    only_if: dict[str, Any] | None
    enabled: bool
    next_run_at: str | None
    last_run_at: str | None
    last_status: RunStatus | None
    question: str
    source_id: int | None
    cron_text: str  # the cron in words: "At 08:00 on Monday"
    created_at: str
    updated_at: str
    workspace_id: int | None = None
    user_id: int | None = None  # who made it


def public_schedule(schedule: Schedule) -> ScheduleView:
    return ScheduleView(
        id=saved_id(schedule),
        name=schedule.name,
        query_id=schedule.query_id,
        cron=schedule.cron,
        timezone=schedule.timezone,
        recipients=list(schedule.recipients_json),
        format=ExportFormat(schedule.format),
        only_if=schedule.only_if_json,
        enabled=schedule.enabled,
        next_run_at=iso_utc(schedule.next_run_at),
        last_run_at=iso_utc(schedule.last_run_at),
        last_status=RunStatus(schedule.last_status) if schedule.last_status else None,
        question=schedule.question,
        source_id=schedule.source_id,
        cron_text=cron.describe(schedule.cron),
        created_at=iso_utc(schedule.created_at),
        updated_at=iso_utc(schedule.updated_at),
        workspace_id=schedule.workspace_id,
        user_id=schedule.user_id,
    )


@dataclass(frozen=True)
class RunView:
    """The API's `run`: when it started and ended, how it went, the rows its query returned."""

    id: int
    schedule_id: int
    started_at: str | None
    finished_at: str | None
    status: RunStatus
    error: str | None
    row_count: int | None
    trigger: RunTrigger
    fire_at: str | None  # the cron firing it was for (None for Run now)
    queued_at: str
    attempts: int


def public_run(run: ScheduleRun) -> RunView:
    return RunView(
        id=saved_id(run),
        schedule_id=run.schedule_id,
        started_at=iso_utc(run.started_at),
        finished_at=iso_utc(run.finished_at),
        status=RunStatus(run.status),
        error=run.error,
        row_count=run.row_count,
        trigger=RunTrigger(run.trigger),
        fire_at=iso_utc(run.fire_at),
        queued_at=iso_utc(run.queued_at),
        attempts=run.attempts,
    )
