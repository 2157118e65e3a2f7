"""Usage against plan limits: checked and counted in one statement, given back when we failed.

Every limited action goes through here (REST, pages, chat, re-runs, schedules): `take` adds to the
user's counter with `UPDATE … SET used = used + n WHERE used + n <= limit`, which PostgreSQL
re-checks after waiting for a concurrent update of the same row and SQLite runs under its single
write lock, so two requests at once never both take the last unit. A counter row is created on
first use (`INSERT … ON CONFLICT DO NOTHING`); running totals start from what the user holds.

Monthly metrics are counted per calendar month (UTC). LLM spend is not a counter: it is the sum of
the month's recorded LLM calls made with the server's key, checked before asking the LLM.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, case, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from lumiere.core.enums import UsageMetric
from lumiere.core.errors import Conflict, Invalid, LimitReached, NotFound, ServiceError
from lumiere.core.usage import PlanLimits, UsageReport, UsedThisPeriod
from lumiere.db import saved_id
from lumiere.models import LlmCall, Plan, Source, UsageCounter, User
from lumiere.models._base import utcnow
from lumiere.services.plans import get_plan, limits_of, plan_of

MB = 1024 * 1024
TOTAL = "total"
PLANS_HINT = "Settings → Plan"

# What a running total starts from when its counter row is first made: what the user holds now.
# Later features (schedules, share links) add their own reader here.
_TOTAL_READERS: dict[UsageMetric, Callable[[Session, int], int]] = {
    UsageMetric.SOURCES: lambda session, user_id: session.exec(
        select(func.count()).select_from(Source).where(Source.user_id == user_id)
    ).one(),
    UsageMetric.STORAGE: lambda session, user_id: session.exec(
        select(func.coalesce(func.sum(Source.size_bytes), 0)).where(Source.user_id == user_id)
    ).one(),
}


def register_total_reader(metric: UsageMetric, reader: Callable[[Session, int], int]) -> None:
    """How a feature tells the counters what a user already holds of its metric."""
    _TOTAL_READERS[metric] = reader


# --------------------------------------------------------------------------------------------
# Periods


def month_bounds(moment: datetime | None = None) -> tuple[datetime, datetime]:
    """The calendar month (UTC) around `moment`: its first instant and the first of the next."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start, end


def period_key(metric: UsageMetric, moment: datetime | None = None) -> str:
    return month_bounds(moment)[0].strftime("%Y-%m") if metric.monthly else TOTAL


# --------------------------------------------------------------------------------------------
# Limits


def limit_units(limits: PlanLimits, metric: UsageMetric) -> int | None:
    """The plan's limit for `metric` in the counter's units (bytes for storage)."""
    match metric:
        case UsageMetric.QUERIES:
            return limits.queries_per_month
        case UsageMetric.SOURCES:
            return limits.sources
        case UsageMetric.STORAGE:
            return None if limits.storage_mb is None else limits.storage_mb * MB
        case UsageMetric.SCHEDULES:
            return limits.schedules
        case UsageMetric.SHARE_LINKS:
            return limits.share_links


def _reached(plan: Plan, metric: UsageMetric, used: int, amount: int) -> LimitReached:
    """A 402 whose detail names the limit and the way to more, in the units people think in."""
    limits = limits_of(plan)
    limit = limit_units(limits, metric) or 0
    more = f"Upgrade your plan in {PLANS_HINT} for more"
    plan_name = f"the {plan.title} plan"
    shown_limit: int | float
    shown_used: int | float
    match metric:
        case UsageMetric.QUERIES:
            _, end = month_bounds()
            detail = (
                f"You have used all {limit:,} queries of {plan_name} this month. {more}, "
                f"or wait until {end:%B} {end.day} (UTC) when the count starts again."
            )
            shown_limit, shown_used = limit, used
        case UsageMetric.STORAGE:
            left = max(limit - used, 0) / MB
            detail = (
                f"This needs {amount / MB:,.1f} MB of storage but {plan_name} has {left:,.1f} MB left of "
                f"{limits.storage_mb:,} MB. Delete a source you no longer need, or {more[0].lower() + more[1:]}."
            )
            shown_limit, shown_used = limits.storage_mb or 0, round(used / MB, 2)
        case _:
            noun = {
                UsageMetric.SOURCES: "data sources",
                UsageMetric.SCHEDULES: "scheduled queries",
                UsageMetric.SHARE_LINKS: "share links",
            }[metric]
            detail = (
                f"{plan_name[0].upper() + plan_name[1:]} allows {limit:,} {noun} and you have {used:,}. "
                f"Delete one you no longer need, or {more[0].lower() + more[1:]}."
            )
            shown_limit, shown_used = limit, used
    return LimitReached(detail, limit=shown_limit, used=shown_used, plan=plan.name, metric=metric.value)


# --------------------------------------------------------------------------------------------
# Counting


def _counter_filter(user_id: int, metric: UsageMetric, period: str) -> tuple[ColumnElement[bool], ...]:
    return (
        col(UsageCounter.user_id) == user_id,
        col(UsageCounter.metric) == metric.value,
        col(UsageCounter.period) == period,
    )


def _stored_used(session: Session, user_id: int, metric: UsageMetric, period: str) -> int | None:
    return session.exec(select(UsageCounter.used).where(*_counter_filter(user_id, metric, period))).first()


def current_used(session: Session, user_id: int, metric: UsageMetric) -> int:
    """What the counter says now, or what it would start from; reads only."""
    period = period_key(metric)
    stored = _stored_used(session, user_id, metric, period)
    if stored is not None:
        return int(stored)
    return _initial(session, user_id, metric)


def _initial(session: Session, user_id: int, metric: UsageMetric) -> int:
    reader = _TOTAL_READERS.get(metric)
    return int(reader(session, user_id)) if reader is not None and not metric.monthly else 0


def _ensure_counter(session: Session, user_id: int, metric: UsageMetric, period: str) -> None:
    if _stored_used(session, user_id, metric, period) is not None:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(UsageCounter.__table__)  # type: ignore[attr-defined]
        .values(user_id=user_id, metric=metric.value, period=period,
                used=_initial(session, user_id, metric), updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["user_id", "metric", "period"])
    )
    session.execute(statement)


def take(session: Session, user: User, metric: UsageMetric, amount: int = 1) -> None:
    """Count `amount` of `metric` in the caller's transaction, or raise 402 if it does not fit.

    Rolling the transaction back gives it back. The counter row stays locked until the transaction
    ends: for an action that then runs for long, use `charge` instead.
    """
    if amount <= 0:
        return
    user_id = saved_id(user)
    plan = plan_of(session, user)
    limit = limit_units(limits_of(plan), metric)
    period = period_key(metric)
    _ensure_counter(session, user_id, metric, period)
    statement = (
        update(UsageCounter)
        .where(*_counter_filter(user_id, metric, period))
        .values(used=UsageCounter.used + amount, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if limit is not None:
        statement = statement.where(col(UsageCounter.used) + amount <= limit)
    if session.execute(statement).rowcount != 1:  # type: ignore[attr-defined]
        raise _reached(plan, metric, int(_stored_used(session, user_id, metric, period) or 0), amount)


def give_back(session: Session, user_id: int, metric: UsageMetric, amount: int = 1) -> None:
    """Undo a `take` (or record a deletion), never below zero."""
    if amount <= 0:
        return
    session.execute(
        update(UsageCounter)
        .where(*_counter_filter(user_id, metric, period_key(metric)))
        .values(
            used=case((col(UsageCounter.used) > amount, col(UsageCounter.used) - amount), else_=0),
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )


def check(session: Session, user: User, metric: UsageMetric, amount: int = 1) -> None:
    """402 now if `amount` more would not fit; counts nothing (to refuse before costly work)."""
    plan = plan_of(session, user)
    limit = limit_units(limits_of(plan), metric)
    if limit is None:
        return
    used = current_used(session, saved_id(user), metric)
    if used + amount > limit:
        raise _reached(plan, metric, used, amount)


def is_users_fault(error: BaseException) -> bool:
    """A 4xx the user caused (their SQL, their data) keeps its count; our failures give it back."""
    return isinstance(error, ServiceError) and error.status_code < 500


@contextmanager
def charge(
    session: Session,
    user: User,
    metric: UsageMetric,
    amount: int = 1,
    *,
    refund_on: tuple[type[BaseException], ...] = (),
) -> Iterator[None]:
    """Take `amount` and commit at once, so that a long action (a query) holds no lock on the
    counter; if the action then fails for a reason that is not the user's (or with one of
    `refund_on`, such as a question no engine could read), give it back."""
    take(session, user, metric, amount)
    session.commit()
    try:
        yield
    except BaseException as error:
        if not is_users_fault(error) or isinstance(error, refund_on):
            session.rollback()
            give_back(session, saved_id(user), metric, amount)
            session.commit()
        raise


# --------------------------------------------------------------------------------------------
# LLM budget


def llm_spend_usd(session: Session, user_id: int, since: datetime | None = None) -> float:
    """The month's LLM spend on the server's key (calls with the user's own key are theirs to pay)."""
    since = since or month_bounds()[0]
    spent = session.exec(
        select(func.coalesce(func.sum(LlmCall.cost_usd), 0.0)).where(
            LlmCall.user_id == user_id, col(LlmCall.user_key).is_(False), col(LlmCall.created_at) >= since
        )
    ).one()
    return float(spent)


def llm_budget_note(session: Session, user: User) -> str | None:
    """Why the server's LLM may not be used for this user this month, or None when it may."""
    plan = plan_of(session, user)
    budget = plan.llm_usd_per_month
    if budget is None:
        return None
    if llm_spend_usd(session, saved_id(user)) < budget:
        return None
    return (
        f"This month's LLM budget of the {plan.title} plan (${budget:,.2f}) is used up, so the built-in engine "
        f"answered. Add your own API key in Settings → LLM, or upgrade your plan in {PLANS_HINT}."
    )


# --------------------------------------------------------------------------------------------
# Reports and plan changes


def usage_report(session: Session, user: User) -> UsageReport:
    user_id = saved_id(user)
    plan = plan_of(session, user)
    start, end = month_bounds()
    used = UsedThisPeriod(
        queries=current_used(session, user_id, UsageMetric.QUERIES),
        sources=current_used(session, user_id, UsageMetric.SOURCES),
        storage_mb=round(current_used(session, user_id, UsageMetric.STORAGE) / MB, 2),
        llm_usd=round(llm_spend_usd(session, user_id, start), 4),
        schedules=current_used(session, user_id, UsageMetric.SCHEDULES),
        share_links=current_used(session, user_id, UsageMetric.SHARE_LINKS),
    )
    return UsageReport(
        plan=plan.name, plan_title=plan.title, period_start=start, period_end=end, used=used, limits=limits_of(plan)
    )


def excess_on(session: Session, user: User, plan: Plan) -> list[str]:
    """What the user would have to remove before `plan` fits what they hold now."""
    limits = limits_of(plan)
    user_id = saved_id(user)
    excess: list[str] = []
    for metric, noun in (
        (UsageMetric.SOURCES, "data source(s)"),
        (UsageMetric.SCHEDULES, "scheduled quer(y/ies)"),
        (UsageMetric.SHARE_LINKS, "share link(s)"),
    ):
        limit = limit_units(limits, metric)
        held = current_used(session, user_id, metric)
        if limit is not None and held > limit:
            excess.append(f"{held - limit:,} {noun} (you have {held:,}, {plan.title} allows {limit:,})")
    storage_limit = limit_units(limits, UsageMetric.STORAGE)
    stored = current_used(session, user_id, UsageMetric.STORAGE)
    if storage_limit is not None and stored > storage_limit:
        excess.append(
            f"{(stored - storage_limit) / MB:,.1f} MB of data (you store {stored / MB:,.1f} MB, "
            f"{plan.title} allows {limits.storage_mb:,} MB)"
        )
    return excess


def change_plan(session: Session, user: User, plan_name: object) -> UsageReport:
    """Self-service switch; a downgrade that does not fit what the user holds is refused (409)
    with the list of what to remove first."""
    try:
        plan = get_plan(session, plan_name)
    except NotFound as error:
        raise Invalid(error.detail, field="plan") from None
    excess = excess_on(session, user, plan)
    if excess:
        raise Conflict(
            f"Your data does not fit the {plan.title} plan yet. Remove first: " + "; ".join(excess) + ".",
            remove=excess,
        )
    assign_plan(session, user, plan)
    return usage_report(session, user)


def assign_plan(session: Session, user: User, plan: Plan) -> None:
    user.plan = plan.name
    user.updated_at = utcnow()
    session.add(user)
    session.flush()
