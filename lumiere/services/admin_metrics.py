"""What the admin console reports over a period: activity per day, storage and LLM cost.

Per-day figures are computed in SQL, grouped by the UTC day of each row (`utc_day`, written once
for SQLite and PostgreSQL), then laid on every day of the period so that quiet days read as zeros.
LLM money (`usd`) is what the installation pays: calls made with a user's own API key are counted
as calls and tokens but their cost is the user's (`own_key_usd`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, case, distinct, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col, select

from lumiere.core.enums import QueryStatus
from lumiere.models import LlmCall, Query, Source, User
from lumiere.services.admin import Period, period_of, require_admin

MB = 1024 * 1024
TOP_STORAGE_USERS = 10


class utc_day(FunctionElement[str]):
    """The UTC calendar day of a timestamp column as 'YYYY-MM-DD' text, on SQLite and PostgreSQL."""

    type = String()
    inherit_cache = True
    name = "utc_day"


@compiles(utc_day)
def _utc_day_sqlite(element: utc_day, compiler: Any, **kw: Any) -> str:
    # SQLite keeps UTC timestamps as 'YYYY-MM-DD HH:MM:SS[.ffffff]' text.
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: Any, **kw: Any) -> str:
    # timestamptz: the day in UTC whatever the session's time zone is.
    return f"to_char(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


@dataclass(frozen=True)
class DayMetrics:
    date: str
    queries: int = 0
    failed_queries: int = 0
    active_users: int = 0
    new_users: int = 0
    llm_calls: int = 0
    llm_usd: float = 0.0


@dataclass(frozen=True)
class StorageByUser:
    user_id: int
    email: str
    sources: int
    storage_mb: float


@dataclass(frozen=True)
class Metrics:
    days: int
    period_start: str
    users: int
    new_users: int
    active_users: int
    disabled_users: int
    queries: int
    failed_queries: int
    sources: int
    storage_mb: float
    llm_calls: int
    llm_usd: float
    per_day: list[DayMetrics]
    storage_by_user: list[StorageByUser]


def _server_usd() -> Any:
    """The cost of calls on the installation's key (the user's own key is their money)."""
    return func.coalesce(func.sum(case((col(LlmCall.user_key).is_(False), LlmCall.cost_usd), else_=0.0)), 0.0)


def _own_key_usd() -> Any:
    return func.coalesce(func.sum(case((col(LlmCall.user_key).is_(True), LlmCall.cost_usd), else_=0.0)), 0.0)


def _failed() -> Any:
    return func.coalesce(func.sum(case((col(Query.status) != QueryStatus.OK.value, 1), else_=0)), 0)


def metrics(session: Session, actor: User, days: object = 30) -> Metrics:
    require_admin(actor)
    period = period_of(days)
    since = period.start
    in_period_queries = col(Query.created_at) >= since
    queries, failed, active = session.exec(
        select(func.count(), _failed(), func.count(distinct(col(Query.user_id)))).where(in_period_queries)
    ).one()
    users, disabled = session.exec(
        select(func.count(), func.coalesce(func.sum(case((col(User.disabled).is_(True), 1), else_=0)), 0))
    ).one()
    new_users = session.exec(select(func.count()).select_from(User).where(col(User.created_at) >= since)).one()
    sources, stored = session.exec(select(func.count(), func.coalesce(func.sum(Source.size_bytes), 0))).one()
    llm_calls, llm_usd = session.exec(
        select(func.count(), _server_usd()).where(col(LlmCall.created_at) >= since)
    ).one()
    return Metrics(
        days=period.days,
        period_start=period.start.date().isoformat(),
        users=int(users),
        new_users=int(new_users),
        active_users=int(active),
        disabled_users=int(disabled),
        queries=int(queries),
        failed_queries=int(failed),
        sources=int(sources),
        storage_mb=round(int(stored) / MB, 2),
        llm_calls=int(llm_calls),
        llm_usd=round(float(llm_usd), 4),
        per_day=_per_day(session, period),
        storage_by_user=_storage_by_user(session),
    )


def _per_day(session: Session, period: Period) -> list[DayMetrics]:
    since = period.start
    query_day = utc_day(Query.created_at)
    by_day: dict[str, dict[str, Any]] = {key: {} for key in period.day_keys()}

    def put(day: object, **values: Any) -> None:
        if str(day) in by_day:  # rows stamped a moment after `end` (clock skew) stay out
            by_day[str(day)].update(values)

    for day, count, failed, active in session.exec(
        select(query_day, func.count(), _failed(), func.count(distinct(col(Query.user_id))))
        .where(col(Query.created_at) >= since)
        .group_by(query_day)
    ).all():
        put(day, queries=int(count), failed_queries=int(failed), active_users=int(active))
    call_day = utc_day(LlmCall.created_at)
    for day, calls, usd in session.exec(
        select(call_day, func.count(), _server_usd()).where(col(LlmCall.created_at) >= since).group_by(call_day)
    ).all():
        put(day, llm_calls=int(calls), llm_usd=round(float(usd), 4))
    user_day = utc_day(User.created_at)
    for day, count in session.exec(
        select(user_day, func.count()).where(col(User.created_at) >= since).group_by(user_day)
    ).all():
        put(day, new_users=int(count))
    return [DayMetrics(date=day, **values) for day, values in by_day.items()]


def _storage_by_user(session: Session) -> list[StorageByUser]:
    """The users who store the most, for the storage chart."""
    stored = func.coalesce(func.sum(Source.size_bytes), 0)
    rows = session.exec(
        select(User.id, User.email, func.count(col(Source.id)), stored)
        .join(Source, col(Source.user_id) == col(User.id))
        .group_by(col(User.id), col(User.email))
        .order_by(stored.desc(), col(User.id))
        .limit(TOP_STORAGE_USERS)
    ).all()
    return [
        StorageByUser(user_id=int(user_id or 0), email=email, sources=int(count), storage_mb=round(int(size) / MB, 2))
        for user_id, email, count, size in rows
    ]


# --------------------------------------------------------------------------------------------
# LLM costs


@dataclass(frozen=True)
class CostByUser:
    user_id: int | None  # None: calls of an account deleted since
    email: str | None
    calls: int
    prompt_tokens: int
    completion_tokens: int
    usd: float
    own_key_usd: float


@dataclass(frozen=True)
class CostByKey:
    """Cost grouped by one attribute of the calls: a model or a purpose (sql, chart, insight, chat)."""

    key: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    usd: float
    own_key_usd: float


@dataclass(frozen=True)
class Costs:
    days: int
    period_start: str
    items: list[CostByUser]
    by_model: list[CostByKey]
    by_purpose: list[CostByKey]
    total_usd: float
    own_key_usd: float
    calls: int


def _sums() -> tuple[Any, ...]:
    return (
        func.count(),
        func.coalesce(func.sum(LlmCall.prompt_tokens), 0),
        func.coalesce(func.sum(LlmCall.completion_tokens), 0),
        _server_usd(),
        _own_key_usd(),
    )


def costs(session: Session, actor: User, days: object = 30) -> Costs:
    require_admin(actor)
    period = period_of(days)
    since = col(LlmCall.created_at) >= period.start
    server_usd = _server_usd()
    by_user = session.exec(
        select(LlmCall.user_id, User.email, *_sums())
        .outerjoin(User, col(User.id) == col(LlmCall.user_id))
        .where(since)
        .group_by(col(LlmCall.user_id), col(User.email))
        .order_by(server_usd.desc(), func.count().desc(), col(LlmCall.user_id))
    ).all()
    items = [
        CostByUser(user_id=user_id, email=email, calls=int(calls), prompt_tokens=int(prompt),
                   completion_tokens=int(completion), usd=round(float(usd), 6), own_key_usd=round(float(own), 6))
        for user_id, email, calls, prompt, completion, usd, own in by_user
    ]

    def grouped(column: Any) -> list[CostByKey]:
        rows = session.exec(
            select(column, *_sums()).where(since).group_by(column).order_by(server_usd.desc(), func.count().desc())
        ).all()
        return [
            CostByKey(key=str(key), calls=int(calls), prompt_tokens=int(prompt), completion_tokens=int(completion),
                      usd=round(float(usd), 6), own_key_usd=round(float(own), 6))
            for key, calls, prompt, completion, usd, own in rows
        ]

    return Costs(
        days=period.days,
        period_start=period.start.date().isoformat(),
        items=items,
        by_model=grouped(col(LlmCall.model)),
        by_purpose=grouped(col(LlmCall.purpose)),
        total_usd=round(sum(item.usd for item in items), 6),
        own_key_usd=round(sum(item.own_key_usd for item in items), 6),
        calls=sum(item.calls for item in items),
    )
