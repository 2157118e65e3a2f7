"""The admin console's shared rules: who may use it, the period its reports cover, and plan editing.

Every admin service function starts with `require_admin`, so the REST routes and the page cannot
differ on who gets in. The reports live in `admin_metrics`, accounts in `admin_users`, the health
of the installation in `admin_status`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from lumiere.core.enums import Role
from lumiere.core.errors import Forbidden, Invalid
from lumiere.core.usage import PlanView
from lumiere.models import User
from lumiere.services import plans

ADMIN_ONLY = "This needs an administrator account."
MIN_DAYS = 1
MAX_DAYS = 366


def require_admin(user: User) -> None:
    """403 for anyone but an enabled administrator."""
    if user.role != Role.ADMIN or user.disabled:
        raise Forbidden(ADMIN_ONLY)


@dataclass(frozen=True)
class Period:
    """The last `days` calendar days (UTC), today included: from the first day's midnight to now."""

    days: int
    start: datetime
    end: datetime

    def day_keys(self) -> list[str]:
        """Every day of the period as an ISO date, oldest first."""
        first = self.start.date()
        return [(first + timedelta(days=offset)).isoformat() for offset in range(self.days)]


def period_of(days: object, now: datetime | None = None) -> Period:
    if isinstance(days, bool) or not isinstance(days, int) or not MIN_DAYS <= days <= MAX_DAYS:
        raise Invalid(f"days is a whole number of days from {MIN_DAYS} to {MAX_DAYS}.", field="days")
    end = (now or datetime.now(UTC)).astimezone(UTC)
    today = end.replace(hour=0, minute=0, second=0, microsecond=0)
    return Period(days=days, start=today - timedelta(days=days - 1), end=end)


# --------------------------------------------------------------------------------------------
# Plans: services/plans.py validates; here only who may change them.


def admin_plans(session: Session, actor: User) -> list[PlanView]:
    require_admin(actor)
    return plans.list_plans(session)


def admin_create_plan(
    session: Session,
    actor: User,
    *,
    name: object,
    title: object,
    limits: Mapping[str, object] | None = None,
    price_usd_per_month: object = 0,
    description: object = "",
) -> PlanView:
    require_admin(actor)
    created = plans.create_plan(
        session, name=name, title=title, limits=limits, price_usd_per_month=price_usd_per_month,
        description=description,
    )
    return plans.plan_view(created)


def admin_update_plan(
    session: Session,
    actor: User,
    name: object,
    *,
    title: object = None,
    limits: Mapping[str, object] | None = None,
    price_usd_per_month: object = None,
    description: object = None,
) -> PlanView:
    require_admin(actor)
    updated = plans.update_plan(
        session, name, title=title, limits=limits, price_usd_per_month=price_usd_per_month, description=description
    )
    return plans.plan_view(updated)
