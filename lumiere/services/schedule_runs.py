"""A schedule's run as the job queue executes it: query, alert condition, file, email.

1. The attempt claims the run (queued → running, a conditional update: a run is worked on by one
   worker at a time, and a run already finished, reaped or deleted is left alone).
2. The first attempt re-runs the schedule's SQL through the guard and sandbox, counted as one query
   of the plan; checks `only_if` (a run whose condition does not hold is skipped); writes the export
   file and the chart image; and saves the email as a letter in the outbox.
3. Each attempt sends the letter to the recipients who have not had it and have not stopped these
   emails. If the mail server cannot be reached, the run goes back to "queued" and the job queue
   tries again later (bounded, with backoff); the last attempt fails the run with the reason.

An attempt has `run_timeout_s`: the query has its own timeout, and the run stops before the next
recipient once its time is up. A worker that dies mid-run leaves it "running", and the reaper
(`schedule_clock.reap`) fails it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from lumiere import charts
from lumiere.config import get_settings
from lumiere.core.enums import ExportFormat, RunStatus, RunTrigger, UsageMetric
from lumiere.core.errors import NotFound, ServiceError, Timeout
from lumiere.core.resultset import ResultSet
from lumiere.core.text import plural
from lumiere.db import session_scope
from lumiere.models import Schedule, ScheduleRun, Source, User
from lumiere.models._base import iso_utc
from lumiere.services import cron, usage, warehouse
from lumiere.services.exports import NO_BROWSER, TABLE_CHART, ExportSubject, chart_png, write_export
from lumiere.services.facts import compute_facts
from lumiere.services.insights import compose_narrative
from lumiere.services.mail.letters import MB, Attachment, Download, Letter, plain_text_of
from lumiere.services.mail.links import keep_for_download, opted_out
from lumiere.services.mail.mailer import NOT_CONFIGURED, MailUnavailable, email_configured
from lumiere.services.mail.outbox import Delivery, deliver, discard, letter_dir, load_letter, save_letter
from lumiere.services.policy import Action, may
from lumiere.services.schedule_clock import run_letter_key

logger = logging.getLogger(__name__)

MAX_POINTS = 5
UNEXPECTED = "An unexpected error stopped this run; it has been logged."


@dataclass(frozen=True)
class RunOutcome:
    """How an attempt ended. `status` None: there was nothing to do (the run is gone, finished, or
    another worker has it). `retry`: the job queue should try again later."""

    status: RunStatus | None
    error: str | None = None
    retry: bool = False


@dataclass(frozen=True)
class _Finished:
    status: RunStatus
    error: str | None


def _now() -> datetime:
    return datetime.now(UTC)


def _start(run_id: int) -> tuple[int, int] | None:
    """Claims a queued run for this attempt: (schedule id, attempt number), or None."""
    with session_scope() as session:
        now = _now()
        claimed = session.execute(
            update(ScheduleRun)
            .where(col(ScheduleRun.id) == run_id, col(ScheduleRun.status) == RunStatus.QUEUED)
            .values(status=RunStatus.RUNNING, started_at=now, attempts=ScheduleRun.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if not claimed:
            return None
        run = session.get(ScheduleRun, run_id)
        if run is None:
            return None
        _set_schedule(session, run.schedule_id, last_status=RunStatus.RUNNING, last_run_at=now)
        return run.schedule_id, run.attempts


def _set_schedule(session: Session, schedule_id: int, **values: Any) -> None:
    session.execute(
        update(Schedule).where(col(Schedule.id) == schedule_id).values(**values)
        .execution_options(synchronize_session=False)
    )


def _finish(run_id: int, status: RunStatus, error: str | None) -> RunOutcome:
    with session_scope() as session:
        finished = session.execute(
            update(ScheduleRun)
            .where(col(ScheduleRun.id) == run_id, col(ScheduleRun.status) == RunStatus.RUNNING)
            .values(status=status, error=error, finished_at=_now())
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        run = session.get(ScheduleRun, run_id)
        if finished and run is not None:
            _set_schedule(session, run.schedule_id, last_status=status)
    discard(run_letter_key(run_id))
    return RunOutcome(status if finished else None, error)


def _requeue(run_id: int, attempt: int, reason: str) -> RunOutcome:
    delay = get_settings().job_retry_delay_s * 2 ** (attempt - 1)
    message = f"Attempt {attempt} failed: {reason} Trying again in {delay:g} s."
    with session_scope() as session:
        session.execute(
            update(ScheduleRun)
            .where(col(ScheduleRun.id) == run_id, col(ScheduleRun.status) == RunStatus.RUNNING)
            .values(status=RunStatus.QUEUED, error=message, queued_at=_now())
            .execution_options(synchronize_session=False)
        )
    return RunOutcome(RunStatus.QUEUED, message, retry=True)


def execute_run(run_id: int, *, final_attempt: bool) -> RunOutcome:
    """One attempt at a run (the body of the job queue's run task)."""
    started = _start(run_id)
    if started is None:
        return RunOutcome(None)
    schedule_id, attempt = started
    deadline = time.monotonic() + get_settings().run_timeout_s
    key = run_letter_key(run_id)
    try:
        if load_letter(key) is None:
            finished = _prepare(run_id, key, deadline)
            if finished is not None:
                return _finish(run_id, finished.status, finished.error)
        delivery = deliver(key, stopped=lambda: _opted_out(schedule_id), deadline=deadline)
    except MailUnavailable as error:
        if final_attempt:
            plural = "attempt" if attempt == 1 else "attempts"
            return _finish(run_id, RunStatus.FAILED, f"{error} (gave up after {attempt} {plural}).")
        return _requeue(run_id, attempt, str(error))
    except ServiceError as error:
        return _finish(run_id, RunStatus.FAILED, error.detail)
    except Exception:
        logger.exception("Run %s of schedule %s failed", run_id, schedule_id)
        if final_attempt:
            return _finish(run_id, RunStatus.FAILED, UNEXPECTED)
        return _requeue(run_id, attempt, "an unexpected error (logged).")
    status, problem = _delivered(delivery)
    return _finish(run_id, status, problem)


def _opted_out(schedule_id: int) -> set[str]:
    with session_scope() as session:
        return opted_out(session, schedule_id)


def _delivered(delivery: Delivery) -> tuple[RunStatus, str | None]:
    refused = "; ".join(f"{address}: {reason}" for address, reason in delivery.refused.items())
    if delivery.sent:
        return RunStatus.SENT, (f"Not delivered to {refused}" if refused else None)
    if delivery.refused:
        return RunStatus.FAILED, f"The mail server refused every recipient: {refused}"
    return RunStatus.SKIPPED, "Every recipient has stopped these emails."


# --------------------------------------------------------------------------------------------
# The first attempt's work


def _prepare(run_id: int, key: str, deadline: float) -> _Finished | None:
    """Runs the query and writes the letter; a _Finished when the run ends without an email."""
    with session_scope() as session:
        run = session.get(ScheduleRun, run_id)
        schedule = session.get(Schedule, run.schedule_id) if run else None
        if run is None or schedule is None:
            raise NotFound("This schedule was deleted.")
        if run.trigger == RunTrigger.CRON and not schedule.enabled:
            return _Finished(RunStatus.SKIPPED, "The schedule was turned off before this run started.")
        user = session.get(User, schedule.user_id)
        source = session.get(Source, schedule.source_id) if schedule.source_id is not None else None
        if user is None or user.disabled:
            return _Finished(RunStatus.FAILED, "The account that owns this schedule is disabled.")
        if source is None or not may(session, user, source, Action.ASK):
            return _Finished(RunStatus.FAILED, "The data source of this schedule was deleted; schedule the "
                                               "question again on another source.")
        with usage.charge(session, user, UsageMetric.QUERIES):
            result = warehouse.execute(source, schedule.sql)
        run.row_count = result.row_count
        session.add(run)
        session.commit()
        unmet = condition_unmet(schedule.only_if_json, result)
        if unmet:
            return _Finished(RunStatus.SKIPPED, unmet)
        stopped = opted_out(session, schedule.id) if schedule.id is not None else set()
        recipients = [address for address in schedule.recipients_json if address not in stopped]
        if not recipients:
            return _Finished(RunStatus.SKIPPED, "Every recipient has stopped these emails.")
        if not email_configured():
            rows = plural(result.row_count, "row")
            return _Finished(RunStatus.FAILED, f"{NOT_CONFIGURED} The query ran and returned {rows}.")
        if time.monotonic() > deadline:
            raise Timeout(f"The run took longer than {get_settings().run_timeout_s:g} s before its email was written.")
        letter = _write_letter(schedule, source, result, recipients, letter_dir(key))
    save_letter(key, letter)
    return None


def condition_unmet(only_if: dict[str, Any] | None, result: ResultSet) -> str | None:
    """Why the alert condition does not hold (the run is skipped), or None when it does."""
    if not only_if:
        return None
    if only_if.get("rows"):
        return None if result.row_count > 0 else "Not sent: the query returned no rows."
    column, op, threshold = str(only_if["column"]), str(only_if["op"]), float(only_if["value"])
    names = [item.name for item in result.columns]
    if column not in names:
        matches = [name for name in names if name.lower() == column.lower()]
        if not matches:
            shown = ", ".join(names[:20])
            raise NotFound(f"The alert condition's column '{column}' is not in the result (its columns: {shown}); "
                           "edit the condition.")
        column = matches[0]
    index = names.index(column)
    compare = {
        ">": lambda value: value > threshold, ">=": lambda value: value >= threshold,
        "<": lambda value: value < threshold, "<=": lambda value: value <= threshold,
        "=": lambda value: value == threshold, "!=": lambda value: value != threshold,
    }[op]
    for row in result.rows:
        value = row[index]
        if isinstance(value, bool) or value is None:
            continue
        try:
            if compare(float(value)):
                return None
        except (TypeError, ValueError):
            continue
    return f"Not sent: no row has {column} {op} {only_if['value']:g}."


def _write_letter(
    schedule: Schedule, source: Source, result: ResultSet, recipients: list[str], folder: Path
) -> Letter:
    folder.mkdir(parents=True, exist_ok=True)
    facts = compute_facts(result, question=schedule.question)
    subject = ExportSubject(
        title=schedule.name,
        question=schedule.question,
        source=source,
        sql=schedule.sql,
        chart=schedule.chart_json,
        ran_at=_now(),
        insight=compose_narrative(facts, question=schedule.question),
    )
    fmt = ExportFormat(schedule.format)
    partial = folder / "export.part"
    with partial.open("wb") as out:
        summary = write_export(subject, fmt, out)
    attachment: Attachment | None = None
    download: Download | None = None
    if summary.byte_count > get_settings().email_attachment_max_mb * MB:
        link = keep_for_download(partial, summary.filename, summary.content_type)
        download = Download(link.url, summary.filename, summary.byte_count, iso_utc(link.expires_at),
                            summary.row_count, reason="It is too large to attach.")
    else:
        partial.rename(folder / f"export.{fmt.value}")
        attachment = Attachment(f"export.{fmt.value}", summary.filename, summary.content_type, summary.row_count)
    spec = charts.fitting_spec(schedule.chart_json, result) or charts.choose_chart(result, question=schedule.question)
    png = None if spec.type == charts.ChartType.TABLE else chart_png(spec, result, question=schedule.question)
    if png is not None:
        (folder / "chart.png").write_bytes(png)
    summary_facts = [plain_text_of(fact["text"]) for fact in facts if fact.get("kind") == "rows"]
    points = [plain_text_of(fact["text"]) for fact in facts if fact.get("kind") != "rows"][:MAX_POINTS]
    return Letter(
        subject=schedule.name,
        title=schedule.name,
        question=schedule.question,
        recipients=recipients,
        summary=" ".join(summary_facts),
        points=points,
        chart_file="chart.png" if png is not None else None,
        chart_note=None if png is not None else TABLE_CHART if spec.type == charts.ChartType.TABLE else NO_BROWSER,
        attachment=attachment,
        download=download,
        schedule_id=schedule.id,
        footer=f"Sent by Lumiere for the schedule “{schedule.name}”: {cron.describe(schedule.cron)} "
               f"({schedule.timezone}).",
    )
