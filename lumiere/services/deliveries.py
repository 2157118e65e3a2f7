"""One-off emails to the signed-in user: "Email me this insight", and an export too large to wait for.

The request only checks and queues (202); the job writes the email (re-reading the rows for the
chart, or writing the whole export behind a signed download link) and sends it, retried with
backoff while the mail server cannot be reached. Nothing here counts against the plan: like a chart
or an insight, it re-reads a query the user already ran.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from lumiere.core.enums import ExportFormat, JobKind
from lumiere.core.errors import NotFound, ServiceError, Unavailable
from lumiere.db import saved_id, session_scope
from lumiere.models import User
from lumiere.models._base import iso_utc
from lumiere.services.ask import result_for_query
from lumiere.services.dispatch import Job, enqueue_now
from lumiere.services.exports import NO_BROWSER, chart_png, export_format, subject_for_query, write_export
from lumiere.services.history import get_query
from lumiere.services.insights import get_insight
from lumiere.services.mail.letters import Download, Letter, plain_text_of
from lumiere.services.mail.links import keep_for_download
from lumiere.services.mail.mailer import NOT_CONFIGURED, MailUnavailable, email_configured
from lumiere.services.mail.outbox import deliver, discard, letter_dir, load_letter, save_letter

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueuedEmail:
    """The answer to a request for an email (202): it is queued for `to`."""

    status: str
    to: str
    detail: str


def _email_ready() -> None:
    if not email_configured():
        raise Unavailable(NOT_CONFIGURED)


def email_insight(session: Session, user: User, insight_id: int) -> QueuedEmail:
    """Queues an email of one of the user's insights, with its chart, to the user's own address."""
    insight = get_insight(session, user, insight_id)  # someone else's: 404 whether or not email works
    _email_ready()
    key = f"insight-{saved_id(insight)}-{secrets.token_hex(6)}"
    enqueue_now(Job(JobKind.INSIGHT_EMAIL, (saved_id(user), saved_id(insight), key)))
    return QueuedEmail("queued", user.email, f"The insight is on its way to {user.email}.")


def email_export(session: Session, user: User, query_id: int, fmt: object) -> QueuedEmail:
    """Queues an export of one of the user's queries; the email links to the file (signed, expiring)."""
    chosen = export_format(fmt)
    subject_for_query(session, user, query_id)  # 404/422 now, not in a job nobody watches
    _email_ready()
    key = f"export-{query_id}-{secrets.token_hex(6)}"
    enqueue_now(Job(JobKind.EXPORT_EMAIL, (saved_id(user), query_id, chosen.value, key)))
    return QueuedEmail(
        "queued", user.email, f"The {chosen.value.upper()} export is being written; a download link will be "
                              f"emailed to {user.email}."
    )


# --------------------------------------------------------------------------------------------
# The jobs' work


def _send(key: str, prepare: Callable[[Path], Letter], *, final_attempt: bool) -> bool:
    """Writes the letter once, sends it; True when the job queue should try again later."""
    try:
        if load_letter(key) is None:
            folder = letter_dir(key)
            folder.mkdir(parents=True, exist_ok=True)
            save_letter(key, prepare(folder))
        delivery = deliver(key)
    except MailUnavailable as error:
        if not final_attempt:
            logger.warning("Email %s not sent yet, will retry: %s", key, error)
            return True
        logger.error("Email %s not sent, giving up: %s", key, error)
    except ServiceError as error:
        logger.warning("Email %s not written: %s", key, error.detail)
    else:
        if delivery.refused:
            logger.warning("Email %s refused: %s", key, delivery.refused)
    discard(key)
    return False


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.disabled:
        raise NotFound("The account no longer exists or is disabled.")
    return user


def send_insight_email(user_id: int, insight_id: int, key: str, *, final_attempt: bool) -> bool:
    """The insight email job; True: retry later."""

    def prepare(folder: Path) -> Letter:
        with session_scope() as session:
            user = _user(session, user_id)
            insight = get_insight(session, user, insight_id)
            query = get_query(session, user, insight.query_id)
            png: bytes | None = None
            note = NO_BROWSER
            try:
                _query, result = result_for_query(session, user, insight.query_id)
                png = chart_png(query.chart_json, result, question=query.question)
            except ServiceError as error:
                note = f"The chart is not included: its rows could not be read again ({error.detail})"
            if png is not None:
                (folder / "chart.png").write_bytes(png)
            return Letter(
                subject=f"Insight: {query.question or f'query {query.id}'}"[:200],
                title="Your insight",
                question=query.question,
                recipients=[user.email],
                summary=plain_text_of(insight.text),
                chart_file="chart.png" if png is not None else None,
                chart_note=None if png is not None else note,
                footer="You asked Lumiere to email you this insight.",
            )

    return _send(key, prepare, final_attempt=final_attempt)


def send_export_email(user_id: int, query_id: int, fmt: str, key: str, *, final_attempt: bool) -> bool:
    """The large-export job: writes the whole file, emails a link to it; True: retry later."""

    def prepare(folder: Path) -> Letter:
        with session_scope() as session:
            user = _user(session, user_id)
            subject = subject_for_query(session, user, query_id)
        chosen = ExportFormat(fmt)
        partial = folder / "export.part"
        with partial.open("wb") as out:
            summary = write_export(subject, chosen, out)
        link = keep_for_download(partial, summary.filename, summary.content_type)
        return Letter(
            subject=f"Your export is ready: {summary.filename}"[:200],
            title="Your export is ready",
            question=subject.question,
            recipients=[user.email],
            download=Download(link.url, summary.filename, summary.byte_count, iso_utc(link.expires_at),
                              summary.row_count),
            footer="You asked Lumiere to export this answer.",
        )

    return _send(key, prepare, final_attempt=final_attempt)
