"""The admin console's plans editor: the plans as a table, and a dialog to edit one or create one.

A limit left empty in the form means unlimited (null in the API); `services.plans` checks the rest,
and its message shows in the dialog next to the form.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from lumiere.core.usage import PlanView
from lumiere.models import User
from lumiere.services.admin import admin_create_plan, admin_plans, admin_update_plan
from lumiere.state.admin_users import outcome_of, usd_text
from lumiere.state.arguments import bounded_text, form_text
from lumiere.state.service_calls import Failed

T = TypeVar("T")
LIMIT_LABELS: dict[str, str] = {
    "queries_per_month": "Queries / month",
    "sources": "Data sources",
    "storage_mb": "Storage (MB)",
    "llm_usd_per_month": "LLM budget ($ / month)",
    "schedules": "Schedules",
    "share_links": "Share links",
    "workspace_members": "Workspace members",
    "requests_per_minute": "Requests / minute",
}
FORM_FIELDS = ("name", "title", "description", "price_usd_per_month", *LIMIT_LABELS)
UNLIMITED = "Unlimited"
_NUMBER_RE = re.compile(r"-?\d+(\.\d+)?")
MAX_FIELD_CHARS = 300


@dataclass(frozen=True)
class PlanRow:
    name: str
    title: str
    description: str
    price: str
    limits: list[str]  # in LIMIT_LABELS order


def _limit_text(value: float | int | None, name: str) -> str:
    if value is None:
        return UNLIMITED
    return usd_text(float(value)) if name == "llm_usd_per_month" else f"{value:,}"


def plan_row(plan: PlanView) -> PlanRow:
    return PlanRow(
        name=plan.name,
        title=plan.title,
        description=plan.description,
        price=usd_text(plan.price_usd_per_month),
        limits=[_limit_text(getattr(plan.limits, name), name) for name in LIMIT_LABELS],
    )


def plan_form_values(plan: PlanView | None) -> dict[str, str]:
    """The dialog's fields as text: empty for an unlimited limit (and for a new plan's fields)."""
    if plan is None:
        return {"name": "", "title": "", "description": "", "price_usd_per_month": "0",
                **dict.fromkeys(LIMIT_LABELS, "")}

    def number(value: float | int | None) -> str:
        return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)

    return {
        "name": plan.name,
        "title": plan.title,
        "description": plan.description,
        "price_usd_per_month": number(plan.price_usd_per_month),
        **{name: number(getattr(plan.limits, name)) for name in LIMIT_LABELS},
    }


def parse_number(text: str, label: str) -> int | float | str | None:
    """A limit typed in the form: empty is unlimited (None), digits a number; otherwise the message."""
    text = text.strip().replace(",", "")
    if not text:
        return None
    if not _NUMBER_RE.fullmatch(text):
        return f"{label} must be a number, or empty for unlimited."
    return float(text) if "." in text else int(text)


class AdminPlansMixin(rx.State, mixin=True):
    plans: list[PlanRow] = []
    plan_form_open: bool = False
    plan_form_new: bool = False
    plan_form: dict[str, str] = {}
    plan_form_error: str = ""
    plan_form_key: int = 0
    _plan_views: dict[str, PlanView] = {}

    if TYPE_CHECKING:
        plan_names: list[str]  # AdminUsersMixin's: the users table's plan select

        async def _call_service(self, work: Callable[[Session, User], T]) -> T | Failed: ...

    async def _refresh_plans(self) -> EventSpec | list[EventSpec] | None:
        listed = await self._call_service(admin_plans)
        if isinstance(listed, Failed):
            return outcome_of(listed)
        self._plan_views = {plan.name: plan for plan in listed}
        self.plans = [plan_row(plan) for plan in listed]
        self.plan_names = [plan.name for plan in listed]
        return None

    def _open_form(self, plan: PlanView | None) -> None:
        self.plan_form = plan_form_values(plan)
        self.plan_form_new = plan is None
        self.plan_form_error = ""
        self.plan_form_key += 1
        self.plan_form_open = True

    @rx.event
    def new_plan(self):
        self._open_form(None)

    @rx.event
    def edit_plan(self, name: str):
        plan = self._plan_views.get(name) if isinstance(name, str) else None
        if plan is None:
            return rx.toast.error("That plan is not in the list any more; reload the page.")
        self._open_form(plan)
        return None

    @rx.event
    def close_plan_form(self):
        self.plan_form_open = False

    @rx.event
    def set_plan_form_open(self, is_open: bool):
        self.plan_form_open = bool(is_open) and self.plan_form_open

    @rx.event
    async def save_plan(self, form_data: dict):
        fields = {name: bounded_text(form_text(form_data, name), MAX_FIELD_CHARS) for name in FORM_FIELDS}
        if not self.plan_form_new:  # the name of a plan being edited is shown, not sent
            fields["name"] = self.plan_form.get("name", "")
        self.plan_form = fields
        limits: dict[str, Any] = {}
        for name, label in LIMIT_LABELS.items():
            parsed = parse_number(fields.get(name, ""), label)
            if isinstance(parsed, str):
                self.plan_form_error = parsed
                return None
            limits[name] = parsed
        price = parse_number(fields.get("price_usd_per_month", ""), "The price")
        if isinstance(price, str):
            self.plan_form_error = price
            return None
        name, title, description = fields["name"].strip(), fields.get("title", ""), fields.get("description", "")
        if self.plan_form_new:
            saved = await self._call_service(
                lambda session, user: admin_create_plan(
                    session, user, name=name, title=title, description=description,
                    price_usd_per_month=price or 0, limits=limits,
                )
            )
        else:
            saved = await self._call_service(
                lambda session, user: admin_update_plan(
                    session, user, name, title=title, description=description,
                    price_usd_per_month=price or 0, limits=limits,
                )
            )
        if isinstance(saved, Failed):
            self.plan_form_error = saved.message
            return outcome_of(saved)
        self.plan_form_open = False
        return await self._refresh_plans() or rx.toast.success(f"Plan {saved.title} saved.")
