"""The user's query history: every question, SQL edit and re-run, searchable and kept after a source is gone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from lumiere.core.engine import Example
from lumiere.core.enums import Engine, Feedback, QueryOrigin, QueryStatus
from lumiere.core.errors import Invalid, NotFound
from lumiere.db import saved_id
from lumiere.models import Query, QueryExample, Source, User
from lumiere.models._base import iso_utc
from lumiere.services.policy import Action, authorize, own_filter, usable_filter, visible_filter

STATUSES = tuple(QueryStatus)
MAX_PAGE_SIZE = 200
MAX_SEARCH_CHARS = 200


@dataclass(frozen=True)
class HistoryFilter:
    search: str | None = None
    source_id: int | None = None
    status: QueryStatus | None = None
    date_from: date | None = None
    date_to: date | None = None


def get_query(session: Session, user: User, query_id: int, action: Action = Action.VIEW) -> Query:
    """A query the user may `action` (theirs, or their workspace's); otherwise 404 (or 403 for a member)."""
    query = session.get(Query, query_id) if isinstance(query_id, int) and not isinstance(query_id, bool) else None
    missing = f"No query with id {query_id} in your history."
    if query is None:
        raise NotFound(missing)
    authorize(session, user, query, action, missing=missing)
    return query


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _validated(filters: HistoryFilter) -> HistoryFilter:
    if filters.status is not None and filters.status not in STATUSES:
        raise Invalid(f"status must be one of {', '.join(STATUSES)}.", field="status")
    if filters.search is not None and len(filters.search) > MAX_SEARCH_CHARS:
        raise Invalid(f"Search for at most {MAX_SEARCH_CHARS} characters.", field="search")
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise Invalid("The start date is after the end date.", field="date_from")
    return filters


def list_queries(
    session: Session,
    user: User,
    filters: HistoryFilter = HistoryFilter(),
    *,
    page: int = 1,
    page_size: int = 50,
    workspace_id: int | None = None,
) -> tuple[list[Query], int]:
    """One space's history (the user's personal one, or a workspace's: every member's questions),
    newest first; `search` matches question or SQL, case-insensitively."""
    filters = _validated(filters)
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise Invalid(f"page starts at 1 and page_size is between 1 and {MAX_PAGE_SIZE}.", field="page")
    conditions = [visible_filter(session, Query, user, workspace_id)]
    if filters.search and filters.search.strip():
        pattern = f"%{_escape_like(filters.search.strip().lower())}%"
        conditions.append(
            or_(func.lower(Query.question).like(pattern, escape="\\"), func.lower(Query.sql).like(pattern, escape="\\"))
        )
    if filters.source_id is not None:
        conditions.append(col(Query.source_id) == filters.source_id)
    if filters.status:
        conditions.append(col(Query.status) == filters.status)
    if filters.date_from:
        conditions.append(col(Query.created_at) >= datetime.combine(filters.date_from, time.min, tzinfo=UTC))
    if filters.date_to:
        conditions.append(
            col(Query.created_at) < datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=UTC)
        )
    total = session.exec(select(func.count()).select_from(Query).where(*conditions)).one()
    items = session.exec(
        select(Query)
        .where(*conditions)
        .order_by(col(Query.created_at).desc(), col(Query.id).desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return list(items), total


def delete_query(session: Session, user: User, query_id: int) -> None:
    session.delete(get_query(session, user, query_id, Action.DELETE))
    session.flush()


def last_used_source_id(session: Session, user: User) -> int | None:
    """The source of the user's own latest question (any space): where the Ask page opens when the
    browser does not remember one, rather than on the newest source."""
    return session.exec(
        select(Query.source_id)
        .where(own_filter(Query, user), col(Query.source_id).is_not(None))
        .order_by(col(Query.created_at).desc(), col(Query.id).desc())
        .limit(1)
    ).first()


def live_source_ids(session: Session, user: User) -> set[int]:
    """The sources the user may still ask over: theirs and their workspaces'."""
    ids = session.exec(select(Source.id).where(usable_filter(Source, user))).all()
    return {source_id for source_id in ids if source_id is not None}


@dataclass(frozen=True)
class HistoryEntry:
    """A history entry as it leaves the service: the API's `QueryOut`, and what the pages list."""

    id: int
    question: str
    sql: str
    status: QueryStatus
    error: str | None
    row_count: int | None
    duration_ms: int | None
    source_id: int | None
    source_name: str
    engine: Engine
    origin: QueryOrigin
    note: str | None
    chart: dict[str, Any] | None
    created_at: str
    source_exists: bool
    feedback: Feedback | None = None
    workspace_id: int | None = None
    user_id: int | None = None
    created_by: str | None = None  # who asked it, in a workspace's history


def public_query(query: Query, *, source_exists: bool, created_by: str | None = None) -> HistoryEntry:
    return HistoryEntry(
        id=saved_id(query),
        question=query.question,
        sql=query.sql,
        status=query.status,
        error=query.error,
        row_count=query.row_count,
        duration_ms=query.duration_ms,
        source_id=query.source_id,
        source_name=query.source_name,
        engine=query.engine,
        origin=query.origin,
        note=query.note,
        chart=query.chart_json,
        created_at=iso_utc(query.created_at),
        source_exists=source_exists,
        feedback=Feedback(query.feedback) if query.feedback else None,
        workspace_id=query.workspace_id,
        user_id=query.user_id,
        created_by=created_by,
    )


def few_shot_examples(session: Session, user: User, source_id: int, *, limit: int = 5) -> list[Example]:
    """The LLM's few-shot examples: the pairs confirmed, edited or corrected on this source first (in a
    workspace, by any member), then the user's latest distinct successful questions on it."""
    taught = session.exec(
        select(QueryExample.question, QueryExample.sql)
        .where(QueryExample.source_id == source_id)
        .order_by(col(QueryExample.updated_at).desc(), col(QueryExample.id).desc())
        .limit(limit)
    ).all()
    rows = [*taught, *session.exec(
        select(Query.question, Query.sql)
        .where(
            own_filter(Query, user),
            Query.source_id == source_id,
            Query.status == QueryStatus.OK,
            Query.origin == QueryOrigin.QUESTION,
            Query.question != "",
        )
        .order_by(col(Query.created_at).desc(), col(Query.id).desc())
        .limit(limit * 4)
    ).all()]
    seen: set[str] = set()
    examples: list[Example] = []
    for question, sql in rows:
        key = question.strip().lower()
        if key in seen:
            continue
        seen.add(key)
        examples.append(Example(question=question, sql=sql))
        if len(examples) == limit:
            break
    return examples
