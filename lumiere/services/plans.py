"""Plans: what each allows, read by the usage checks and edited by admins."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import fields

from sqlmodel import Session, col, select

from lumiere.core.errors import Conflict, Invalid, NotFound
from lumiere.core.usage import PlanLimits, PlanView
from lumiere.models import Plan, User
from lumiere.models._base import utcnow

DEFAULT_PLAN = "free"
MAX_TITLE_CHARS = 60
MAX_DESCRIPTION_CHARS = 300
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,19}")
# Limits counted in whole units; the LLM budget is in dollars and may have cents.
_WHOLE_LIMITS = frozenset(name for name in PlanLimits.names() if name != "llm_usd_per_month")
_MAX_LIMIT = 10**12


def plan_view(plan: Plan) -> PlanView:
    return PlanView(
        name=plan.name,
        title=plan.title,
        description=plan.description,
        price_usd_per_month=plan.price_usd_per_month,
        limits=limits_of(plan),
    )


def limits_of(plan: Plan) -> PlanLimits:
    return PlanLimits(**{name: getattr(plan, name) for name in PlanLimits.names()})


def list_plans(session: Session) -> list[PlanView]:
    """Cheapest first, so plan cards read from left to right as upgrades."""
    plans = session.exec(select(Plan).order_by(col(Plan.price_usd_per_month), col(Plan.name))).all()
    return [plan_view(plan) for plan in plans]


def get_plan(session: Session, name: object) -> Plan:
    plan = session.get(Plan, name) if isinstance(name, str) else None
    if plan is None:
        known = ", ".join(view.name for view in list_plans(session)) or "none"
        raise NotFound(f"There is no plan named {name!r}. Plans: {known}.")
    return plan


def plan_of(session: Session, user: User) -> Plan:
    """The user's plan; a user whose plan name is unknown is treated as on the default plan, and an
    installation without even that (plans emptied by hand) as unlimited, so nobody is locked out by
    a configuration mistake."""
    return session.get(Plan, user.plan) or session.get(Plan, DEFAULT_PLAN) or Plan(name=user.plan, title=user.plan)


def create_plan(
    session: Session,
    *,
    name: object,
    title: object,
    limits: Mapping[str, object] | None = None,
    price_usd_per_month: object = 0,
    description: object = "",
) -> Plan:
    plan_name = _plan_name(name)
    if session.get(Plan, plan_name) is not None:
        raise Conflict(f"A plan named {plan_name!r} already exists; edit it instead.", field="name")
    plan = Plan(name=plan_name, title=_title(title), description=_description(description),
                price_usd_per_month=_price(price_usd_per_month))
    _apply_limits(plan, limits or {})
    session.add(plan)
    session.flush()
    return plan


def update_plan(
    session: Session,
    name: object,
    *,
    title: object = None,
    limits: Mapping[str, object] | None = None,
    price_usd_per_month: object = None,
    description: object = None,
) -> Plan:
    """Change what is given; a limit given as null becomes unlimited, a limit left out stays."""
    plan = get_plan(session, name)
    if title is not None:
        plan.title = _title(title)
    if description is not None:
        plan.description = _description(description)
    if price_usd_per_month is not None:
        plan.price_usd_per_month = _price(price_usd_per_month)
    _apply_limits(plan, limits or {})
    plan.updated_at = utcnow()
    session.add(plan)
    session.flush()
    return plan


def _apply_limits(plan: Plan, limits: Mapping[str, object]) -> None:
    known = {field.name for field in fields(PlanLimits)}
    unknown = sorted(set(limits) - known)
    if unknown:
        raise Invalid(f"Unknown limit(s): {', '.join(unknown)}. Limits are: {', '.join(sorted(known))}.",
                      field="limits")
    for name, value in limits.items():
        setattr(plan, name, _limit(name, value))


def _limit(name: str, value: object) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Invalid(f"The limit {name} must be a number, or null for unlimited.", field=name)
    if value < 0 or value > _MAX_LIMIT:
        raise Invalid(f"The limit {name} must be between 0 and {_MAX_LIMIT:,}, or null for unlimited.", field=name)
    if name in _WHOLE_LIMITS:
        if value != int(value):
            raise Invalid(f"The limit {name} is a whole number.", field=name)
        return int(value)
    return round(float(value), 2)


def _plan_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name.strip()):
        raise Invalid(
            "A plan name is 1 to 20 lower-case letters, digits, '-' or '_', starting with a letter or digit "
            "(for example 'team').",
            field="name",
        )
    return name.strip()


def _title(title: object) -> str:
    if not isinstance(title, str) or not title.strip():
        raise Invalid("Give the plan a title people will see, such as 'Team'.", field="title")
    title = " ".join(title.split())
    if len(title) > MAX_TITLE_CHARS:
        raise Invalid(f"A plan title can be at most {MAX_TITLE_CHARS} characters.", field="title")
    return title


def _description(description: object) -> str:
    if not isinstance(description, str):
        raise Invalid("The description must be text.", field="description")
    description = " ".join(description.split())
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise Invalid(f"A description can be at most {MAX_DESCRIPTION_CHARS} characters.", field="description")
    return description


def _price(price: object) -> float:
    if isinstance(price, bool) or not isinstance(price, int | float) or not math.isfinite(price) or price < 0:
        raise Invalid("The price is a number of US dollars per month, 0 or more.", field="price_usd_per_month")
    if price > 1_000_000:
        raise Invalid("The price can be at most 1,000,000 US dollars per month.", field="price_usd_per_month")
    return round(float(price), 2)
