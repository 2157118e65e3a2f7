"""Accounts as an administrator sees them: a searchable, sortable, paged list with each user's usage,
and the changes only an administrator makes (role, disabled, plan).

Two rules hold under concurrency: the installation always keeps one enabled administrator (the
check and the change are one conditional UPDATE, serialised on PostgreSQL by an advisory lock so
that two admins demoting each other at once cannot both succeed), and disabling an account bumps
its token version, so every session and token it has ends at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Subquery, exists, func, or_, text, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from lumiere.core.enums import Role, UsageMetric
from lumiere.core.errors import Conflict, Invalid, NotFound
from lumiere.models import LlmCall, Source, UsageCounter, User
from lumiere.models._base import iso_utc, utcnow
from lumiere.services.admin import require_admin
from lumiere.services.plans import get_plan
from lumiere.services.usage import assign_plan, month_bounds, period_key

MB = 1024 * 1024
MAX_PAGE_SIZE = 100
MAX_SEARCH_CHARS = 200
SORT_KEYS = ("email", "name", "created_at", "queries", "plan")
DEFAULT_SORT = "-created_at"
_ADMIN_CHANGE_LOCK_ID = 0x4C756D6A  # "Lumj": serialises role and disabled changes on PostgreSQL


@dataclass(frozen=True)
class UserUsage:
    """Queries counted against the plan and LLM spend on the installation's key this month; what
    the user holds now."""

    queries: int = 0
    sources: int = 0
    storage_mb: float = 0.0
    llm_usd: float = 0.0


@dataclass(frozen=True)
class AdminUser:
    id: int
    email: str
    name: str
    role: str
    plan: str
    disabled: bool
    created_at: str
    usage: UserUsage


@dataclass(frozen=True)
class UserPage:
    items: list[AdminUser]
    total: int
    page: int
    page_size: int
    sort: str


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _sort_key(sort: object) -> tuple[str, bool]:
    """('queries', True) from '-queries': the column and whether it is descending."""
    if not isinstance(sort, str) or sort.removeprefix("-") not in SORT_KEYS:
        allowed = ", ".join(SORT_KEYS)
        raise Invalid(f"sort is one of {allowed}, with a leading '-' for descending (e.g. -queries).", field="sort")
    return sort.removeprefix("-"), sort.startswith("-")


def _queries_this_month() -> Subquery:
    return (
        select(col(UsageCounter.user_id).label("user_id"), col(UsageCounter.used).label("used"))
        .where(col(UsageCounter.metric) == UsageMetric.QUERIES.value,
               col(UsageCounter.period) == period_key(UsageMetric.QUERIES))
        .subquery()
    )


def list_users(
    session: Session,
    actor: User,
    *,
    search: object = None,
    sort: object = DEFAULT_SORT,
    page: object = 1,
    page_size: object = 50,
) -> UserPage:
    require_admin(actor)
    column, descending = _sort_key(sort)
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise Invalid("page starts at 1.", field="page")
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise Invalid(f"page_size is between 1 and {MAX_PAGE_SIZE}.", field="page_size")
    conditions: list[ColumnElement[bool]] = []
    if search is not None:
        if not isinstance(search, str) or len(search) > MAX_SEARCH_CHARS:
            raise Invalid(f"Search for at most {MAX_SEARCH_CHARS} characters.", field="search")
        if search.strip():
            pattern = f"%{_escape_like(search.strip().lower())}%"
            conditions.append(or_(func.lower(User.email).like(pattern, escape="\\"),
                                  func.lower(User.name).like(pattern, escape="\\")))
    counted = _queries_this_month()
    queries = func.coalesce(counted.c.used, 0)
    order = {
        "email": col(User.email),
        "name": func.lower(User.name),
        "created_at": col(User.created_at),
        "queries": queries,
        "plan": col(User.plan),
    }[column]
    total = session.exec(select(func.count()).select_from(User).where(*conditions)).one()
    rows = session.exec(
        select(User, queries)
        .outerjoin(counted, counted.c.user_id == col(User.id))
        .where(*conditions)
        .order_by(order.desc() if descending else order.asc(), col(User.id).desc() if descending else col(User.id))
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    held = _held(session, [user.id for user, _ in rows if user.id is not None])
    items = [_admin_user(user, int(used), *held.get(user.id or 0, (0, 0, 0.0))) for user, used in rows]
    return UserPage(items=items, total=int(total), page=page, page_size=page_size,
                    sort=f"-{column}" if descending else column)


def _held(session: Session, user_ids: list[int]) -> dict[int, tuple[int, int, float]]:
    """(sources, bytes stored, LLM spend this month) of each listed user, in two grouped queries."""
    if not user_ids:
        return {}
    found: dict[int, tuple[int, int, float]] = dict.fromkeys(user_ids, (0, 0, 0.0))
    for owner, count, size in session.exec(
        select(Source.user_id, func.count(), func.coalesce(func.sum(Source.size_bytes), 0))
        .where(col(Source.user_id).in_(user_ids))
        .group_by(col(Source.user_id))
    ).all():
        found[owner] = (int(count), int(size), 0.0)
    for caller, spent in session.exec(
        select(LlmCall.user_id, func.coalesce(func.sum(LlmCall.cost_usd), 0.0))
        .where(col(LlmCall.user_id).in_(user_ids), col(LlmCall.user_key).is_(False),
               col(LlmCall.created_at) >= month_bounds()[0])
        .group_by(col(LlmCall.user_id))
    ).all():
        count, size, _ = found[int(caller or 0)]
        found[int(caller or 0)] = (count, size, float(spent))
    return found


def _admin_user(user: User, queries: int, sources: int, stored: int, llm_usd: float) -> AdminUser:
    return AdminUser(
        id=user.id or 0,
        email=user.email,
        name=user.name,
        role=user.role,
        plan=user.plan,
        disabled=user.disabled,
        created_at=iso_utc(user.created_at),
        usage=UserUsage(queries=queries, sources=sources, storage_mb=round(stored / MB, 2), llm_usd=round(llm_usd, 4)),
    )


def admin_view(session: Session, user: User) -> AdminUser:
    """One user in the list's shape (after a change)."""
    user_id = user.id or 0
    counted = session.exec(
        select(UsageCounter.used).where(
            col(UsageCounter.user_id) == user_id,
            col(UsageCounter.metric) == UsageMetric.QUERIES.value,
            col(UsageCounter.period) == period_key(UsageMetric.QUERIES),
        )
    ).first()
    return _admin_user(user, int(counted or 0), *_held(session, [user_id])[user_id])


def _target(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    return user


def update_user(
    session: Session, actor: User, user_id: int, *, role: object = None, disabled: object = None
) -> AdminUser:
    """Change a user's role and/or disabled flag. Disabling ends the user's sessions and tokens;
    the last enabled administrator can be neither demoted nor disabled (409)."""
    require_admin(actor)
    target = _target(session, user_id)
    if role is not None and role not in tuple(Role):
        raise Invalid(f"role is one of {', '.join(Role)}.", field="role")
    if disabled is not None and not isinstance(disabled, bool):
        raise Invalid("disabled is true or false.", field="disabled")
    new_role = str(role) if role is not None else target.role
    new_disabled = target.disabled if disabled is None else disabled
    if new_disabled and not target.disabled and target.id == actor.id:
        raise Conflict("You cannot disable your own account; ask another administrator to do it.", field="disabled")
    values: dict[str, object] = {"role": new_role, "disabled": new_disabled, "updated_at": utcnow()}
    if new_disabled and not target.disabled:
        values["token_version"] = col(User.token_version) + 1
    statement = update(User).where(col(User.id) == target.id)
    was_enabled_admin = target.role == Role.ADMIN and not target.disabled
    stays_enabled_admin = new_role == Role.ADMIN and not new_disabled
    if was_enabled_admin and not stays_enabled_admin:
        _serialise_admin_changes(session)
        other = aliased(User)
        statement = statement.where(
            exists().where(col(other.role) == Role.ADMIN.value, col(other.disabled).is_(False),
                           col(other.id) != target.id)
        )
    if session.execute(statement.values(**values).execution_options(synchronize_session=False)).rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            f"{target.email} is the last enabled administrator. Make another account an administrator first.",
            field="disabled" if new_disabled else "role",
        )
    session.refresh(target)
    return admin_view(session, target)


def _serialise_admin_changes(session: Session) -> None:
    """PostgreSQL checks the EXISTS of a conditional UPDATE against a snapshot; one transaction at
    a time makes the second demotion see the first. SQLite runs every write under one lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ADMIN_CHANGE_LOCK_ID})


def set_user_plan(session: Session, actor: User, user_id: int, plan_name: object) -> AdminUser:
    """An administrator's override: the plan applies at once, whether or not the user's data fits it."""
    require_admin(actor)
    target = _target(session, user_id)
    try:
        plan = get_plan(session, plan_name)
    except NotFound as error:
        raise Invalid(error.detail, field="plan") from None
    assign_plan(session, target, plan)
    return admin_view(session, target)


def make_admin(session: Session, email: str) -> User:
    """The operator's way in (`python -m lumiere.cli make-admin EMAIL`): the account becomes an
    enabled administrator."""
    user = session.exec(select(User).where(col(User.email) == email.strip().lower())).first()
    if user is None:
        raise NotFound(f"There is no account with the email {email.strip()!r}. Create it first (sign up), then run "
                       "this again.")
    user.role = Role.ADMIN.value
    user.disabled = False
    user.updated_at = utcnow()
    session.add(user)
    session.flush()
    return user
