"""Public links to one answer: a snapshot taken when it was shared, behind a long random token.

The token (`secrets.token_urlsafe(32)`, 256 bits) is shown once, to its owner, and stored only as
its SHA-256, so the database alone opens no link. The snapshot holds only what the answer showed:
the question, its columns and first rows, its chart and insight, the source's name and the time
the rows were read. Never the SQL, the owner, or anything else of the source, and it does not
change when the data does. Revoking deletes the link; an expired link stops working by itself and
stops counting against the plan (it is removed when its owner next creates a link).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, update
from sqlmodel import Session, col, select

from lumiere import charts
from lumiere.config import get_settings
from lumiere.core.enums import QueryStatus, UsageMetric
from lumiere.core.errors import Invalid, NotFound
from lumiere.db import saved_id
from lumiere.models import Insight, Query, ShareLink, User
from lumiere.models._base import iso_utc, utcnow
from lumiere.services import usage
from lumiere.services.ask import result_for_query
from lumiere.services.facts import compute_facts
from lumiere.services.history import get_query
from lumiere.services.insights import compose_narrative
from lumiere.services.policy import Action, authorize, own_filter

SNAPSHOT_ROWS = 1000
MAX_EXPIRY_DAYS = 365
PREFIX_CHARS = 8
MAX_TOKEN_CHARS = 200  # a token is 43 characters; anything much longer is not one of ours
GONE = "This link has expired or was revoked."
SHARE_PATH = "/s/"


def _live(now: datetime) -> Any:
    return or_(col(ShareLink.expires_at).is_(None), col(ShareLink.expires_at) > now)


usage.register_total_reader(
    UsageMetric.SHARE_LINKS,
    lambda session, user_id: session.exec(
        select(func.count()).select_from(ShareLink).where(ShareLink.user_id == user_id, _live(utcnow()))
    ).one(),
)


@dataclass(frozen=True)
class CreatedShare:
    """What the owner gets once: the token and its URL (the server keeps only the token's hash)."""

    id: int
    token: str
    url: str
    expires_at: str | None


@dataclass(frozen=True)
class ShareView:
    """A link as its owner lists it: which answer, when it ends, how often it was opened."""

    id: int
    query_id: int | None
    question: str
    prefix: str
    created_at: str
    expires_at: str | None
    expired: bool
    view_count: int
    last_viewed_at: str | None


@dataclass(frozen=True)
class SharedAnswer:
    """The public snapshot: the API's `GET /api/public/{token}` body and what `/s/{token}` shows."""

    question: str
    columns: list[dict[str, Any]]
    rows: list[list[Any]]
    row_count: int
    chart: dict[str, Any] | None
    insight: str | None
    source_name: str
    ran_at: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def share_url(token: str) -> str:
    return f"{get_settings().public_url}{SHARE_PATH}{token}"


def expiry_days(value: object) -> int | None:
    """None (never) or a whole number of days from 1 to 365; anything else is a 422 on the field."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_EXPIRY_DAYS:
        raise Invalid(
            f"expires_in_days must be a whole number of days from 1 to {MAX_EXPIRY_DAYS}, or left out for "
            "a link that does not expire.",
            field="expires_in_days",
        )
    return value


def _as_utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _expired(link: ShareLink, now: datetime) -> bool:
    ends = _as_utc(link.expires_at)
    return ends is not None and ends <= now


# --------------------------------------------------------------------------------------------
# Snapshot


def _insight_text(session: Session, query: Query, facts_of: Callable[[], list[dict[str, Any]]]) -> str:
    """The query's latest insight (a saved one first), else the narrative composed from its facts."""
    saved = session.exec(
        select(Insight.text)
        .where(Insight.query_id == query.id, Insight.user_id == query.user_id)
        .order_by(col(Insight.saved).desc(), col(Insight.created_at).desc(), col(Insight.id).desc())
        .limit(1)
    ).first()
    return saved or compose_narrative(facts_of(), question=query.question)


def take_snapshot(session: Session, user: User, query_id: int) -> SharedAnswer:
    """The answer as its owner sees it now, re-read from its source; only that answer's own parts."""
    query = get_query(session, user, query_id)
    if query.status != QueryStatus.OK:
        raise Invalid("This query did not succeed, so it has no answer to share. Fix it and run it again.",
                      field="query_id")
    query, result = result_for_query(session, user, query_id)
    chart = charts.saved_chart_payload(query, result)
    return SharedAnswer(
        question=query.question,
        columns=[
            {"name": column.name, "type": column.type, "kind": column.kind, "unit": column.unit}
            for column in result.columns
        ],
        rows=result.rows[:SNAPSHOT_ROWS],
        row_count=result.row_count,
        chart=chart,
        insight=_insight_text(session, query, lambda: compute_facts(result, question=query.question)),
        source_name=query.source_name,
        ran_at=iso_utc(utcnow()),
    )


# --------------------------------------------------------------------------------------------
# The owner's side


def _drop_expired(session: Session, user_id: int) -> None:
    """Expired links no longer count against the plan: remove them and give their units back."""
    removed = session.execute(
        delete(ShareLink).where(
            col(ShareLink.user_id) == user_id,
            col(ShareLink.expires_at).is_not(None),
            col(ShareLink.expires_at) <= utcnow(),
        )
    ).rowcount  # type: ignore[attr-defined]
    usage.give_back(session, user_id, UsageMetric.SHARE_LINKS, int(removed or 0))


def create_share(session: Session, user: User, query_id: int, expires_in_days: object = None) -> CreatedShare:
    """A new link to a snapshot of one of the user's answers, counted against `share_links` (402)."""
    days = expiry_days(expires_in_days)
    user_id = saved_id(user)
    query = get_query(session, user, query_id)
    # Publishing an answer changes who can see it: the asker themself, or an editor of its workspace.
    authorize(session, user, query, Action.CHANGE)
    snapshot = take_snapshot(session, user, query_id)
    _drop_expired(session, user_id)
    usage.take(session, user, UsageMetric.SHARE_LINKS)
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(days=days) if days is not None else None
    link = ShareLink(
        user_id=user_id,
        workspace_id=query.workspace_id,
        query_id=query_id,
        token_hash=token_hash(token),
        prefix=token[:PREFIX_CHARS],
        snapshot_json=_snapshot_json(snapshot),
        expires_at=expires_at,
    )
    session.add(link)
    session.flush()
    return CreatedShare(id=saved_id(link), token=token, url=share_url(token), expires_at=iso_utc(expires_at))


def _snapshot_json(snapshot: SharedAnswer) -> dict[str, Any]:
    return {
        "question": snapshot.question,
        "columns": snapshot.columns,
        "rows": snapshot.rows,
        "row_count": snapshot.row_count,
        "chart": snapshot.chart,
        "insight": snapshot.insight,
        "source_name": snapshot.source_name,
        "ran_at": snapshot.ran_at,
    }


def _view(link: ShareLink, now: datetime) -> ShareView:
    return ShareView(
        id=saved_id(link),
        query_id=link.query_id,
        question=str(link.snapshot_json.get("question") or ""),
        prefix=link.prefix,
        created_at=iso_utc(link.created_at),
        expires_at=iso_utc(_as_utc(link.expires_at)),
        expired=_expired(link, now),
        view_count=link.view_count,
        last_viewed_at=iso_utc(_as_utc(link.last_viewed_at)),
    )


def list_shares(session: Session, user: User, query_id: int | None = None) -> list[ShareView]:
    """The user's links, newest first: all of them, or those of one answer (another user's: 404)."""
    conditions = [own_filter(ShareLink, user)]
    if query_id is not None:
        get_query(session, user, query_id)
        conditions.append(col(ShareLink.query_id) == query_id)
    links = session.exec(
        select(ShareLink).where(*conditions).order_by(col(ShareLink.created_at).desc(), col(ShareLink.id).desc())
    ).all()
    now = utcnow()
    return [_view(link, now) for link in links]


def _revoke(session: Session, user: User, link: ShareLink | None) -> None:
    missing = "You have no share link like that; it may have been revoked already."
    if link is None:
        raise NotFound(missing)
    authorize(session, user, link, Action.DELETE, missing=missing)
    session.delete(link)
    session.flush()
    usage.give_back(session, link.user_id, UsageMetric.SHARE_LINKS)  # the unit of whoever made it


def revoke_share(session: Session, user: User, token: str) -> None:
    """Revoke by the full token (REST); the link stops working at once."""
    link = session.exec(select(ShareLink).where(ShareLink.token_hash == token_hash(token))).first()
    _revoke(session, user, link)


def revoke_share_by_id(session: Session, user: User, share_id: int) -> None:
    """Revoke from the pages, which list links by id (the token is not kept)."""
    _revoke(session, user, session.get(ShareLink, share_id))


# --------------------------------------------------------------------------------------------
# The public side


def public_snapshot(session: Session, token: str) -> SharedAnswer:
    """The snapshot behind a token, counted as a view; unknown, expired or revoked: 404."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise NotFound(GONE)
    link = session.exec(select(ShareLink).where(ShareLink.token_hash == token_hash(token))).first()
    now = utcnow()
    if link is None or _expired(link, now):
        raise NotFound(GONE)
    session.execute(
        update(ShareLink)
        .where(col(ShareLink.id) == link.id)
        .values(view_count=ShareLink.view_count + 1, last_viewed_at=now)
        .execution_options(synchronize_session=False)
    )
    data = link.snapshot_json
    return SharedAnswer(
        question=str(data.get("question") or ""),
        columns=list(data.get("columns") or []),
        rows=list(data.get("rows") or []),
        row_count=int(data.get("row_count") or 0),
        chart=data.get("chart"),
        insight=data.get("insight"),
        source_name=str(data.get("source_name") or ""),
        ran_at=str(data.get("ran_at") or ""),
    )
