"""Settings → Usage and Plan: a meter per limit this month, and the plans to switch to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

import reflex as rx
from sqlmodel import Session

from lumiere.core.usage import PlanLimits, PlanView, UsageReport
from lumiere.models import User
from lumiere.services.plans import list_plans
from lumiere.services.usage import change_plan
from lumiere.state.service_calls import Failed

T = TypeVar("T")
# Meters turn amber, then red, as the month's use nears the limit.
WARN_PERCENT = 75
FULL_PERCENT = 90


@dataclass(frozen=True)
class UsageMeter:
    """One limit of the plan as a meter: `summary` is "used / limit" ("unlimited" for no limit)."""

    key: str
    label: str
    summary: str
    percent: int
    color: str
    unlimited: bool


@dataclass(frozen=True)
class PlanCard:
    name: str
    title: str
    description: str
    price: str
    limits: list[str]
    current: bool


def _number(value: float, money: bool = False) -> str:
    return f"${value:,.2f}" if money else f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _meter(
    key: str, label: str, used: float, limit: float | None, *, unit: str = "", money: bool = False
) -> UsageMeter:
    shown = _number(used, money) + unit
    if limit is None:
        return UsageMeter(key, label, f"{shown} / unlimited", 0, "gray", True)
    percent = 100 if limit <= 0 else min(100, round(used * 100 / limit))
    color = "red" if percent >= FULL_PERCENT else "amber" if percent >= WARN_PERCENT else "grass"
    return UsageMeter(key, label, f"{shown} / {_number(limit, money)}{unit}", percent, color, False)


def usage_meters(report: UsageReport) -> list[UsageMeter]:
    used, limits = report.used, report.limits
    return [
        _meter("queries", "Queries this month", used.queries, limits.queries_per_month),
        _meter("llm", "LLM spend this month", used.llm_usd, limits.llm_usd_per_month, money=True),
        _meter("sources", "Data sources", used.sources, limits.sources),
        _meter("storage", "Storage", used.storage_mb, limits.storage_mb, unit=" MB"),
        _meter("schedules", "Scheduled queries", used.schedules, limits.schedules),
        _meter("share_links", "Share links", used.share_links, limits.share_links),
    ]


def limit_lines(limits: PlanLimits) -> list[str]:
    """What a plan allows, one line per limit, as its card lists them."""

    def line(value: float | None, noun: str, money: bool = False) -> str:
        return f"Unlimited {noun}" if value is None else f"{_number(value, money)} {noun}"

    return [
        line(limits.queries_per_month, "queries a month"),
        line(limits.llm_usd_per_month, "of LLM use a month", money=True),
        line(limits.sources, "data sources"),
        line(limits.storage_mb, "MB of storage"),
        line(limits.schedules, "scheduled queries"),
        line(limits.share_links, "share links"),
        line(limits.workspace_members, "workspace members"),
    ]


def plan_cards(plans: list[PlanView], current: str) -> list[PlanCard]:
    return [
        PlanCard(
            name=plan.name,
            title=plan.title,
            description=plan.description,
            price=f"${plan.price_usd_per_month:,.0f} / month"
            if plan.price_usd_per_month == int(plan.price_usd_per_month)
            else f"${plan.price_usd_per_month:,.2f} / month",
            limits=limit_lines(plan.limits),
            current=plan.name == current,
        )
        for plan in plans
    ]


def period_text(report: UsageReport) -> str:
    """"December 1 to 31 (UTC)": the period ends at the first instant of the next month."""
    last = report.period_end - timedelta(days=1)
    return f"{report.period_start:%B} {report.period_start.day} to {last.day}, {last.year} (UTC)"


class PlanMixin(rx.State, mixin=True):
    usage_meters: list[UsageMeter] = []
    usage_period: str = ""
    plan_cards: list[PlanCard] = []
    plan_error: str = ""
    plan_switching: str = ""

    if TYPE_CHECKING:
        user_plan: str

        async def _call_service(self, work: Callable[[Session, User], T]) -> T | Failed: ...

    def _show_usage(self, report: UsageReport, plans: list[PlanView]) -> None:
        self.usage_meters = usage_meters(report)
        self.usage_period = period_text(report)
        self.plan_cards = plan_cards(plans, report.plan)
        self.user_plan = report.plan

    @rx.event
    async def switch_plan(self, name: str):
        self.plan_error = ""
        self.plan_switching = name if isinstance(name, str) else ""
        yield
        switched = await self._call_service(
            lambda session, user: (change_plan(session, user, name), list_plans(session))
        )
        self.plan_switching = ""
        if isinstance(switched, Failed):
            self.plan_error = switched.message
            if switched.signed_out:
                yield switched.event
            return
        report, plans = switched
        self._show_usage(report, plans)
        yield rx.toast.success(f"You are on the {report.plan_title} plan now.")
