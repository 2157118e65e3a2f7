"""The admin console (/admin): metric cards and charts over a chosen period, LLM costs, system
status, and (from the mixins) the users table and the plans editor.

Everything comes from the admin services, which refuse anyone but an administrator: a non-admin
who opens the page is sent to the dashboard with a message, and nothing of the console is drawn
for them meanwhile (the page shows it only while `is_admin`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import reflex as rx
from sqlmodel import Session

from lumiere.charts.series import USD_FORMAT, Series, daily_figure, ranking_figure
from lumiere.models import User
from lumiere.services import admin_metrics, admin_status
from lumiere.state.admin_plans import AdminPlansMixin
from lumiere.state.admin_users import AdminUsersMixin, outcome_of, usd_text
from lumiere.state.auth import AuthState
from lumiere.state.display import human_count, human_size, short_time
from lumiere.state.service_calls import Failed

PERIODS = ("7", "30", "90")
FAILED_RED = "#e5484d"
CARD_ICONS = ("users", "user-check", "message-circle-question", "database", "circle-dollar-sign")


@dataclass(frozen=True)
class MetricCard:
    label: str
    value: str
    detail: str
    icon: str


@dataclass(frozen=True)
class CostRow:
    """One line of a cost table: a user, a model or a purpose."""

    label: str
    calls: str
    prompt_tokens: str
    completion_tokens: str
    usd: str
    own_key_usd: str


@dataclass(frozen=True)
class StatusView:
    database_ok: bool = False
    database: str = ""
    redis_configured: bool = False
    redis_ok: bool = False
    redis: str = ""
    data_size: str = ""
    free_disk: str = ""
    checked: str = ""


@dataclass(frozen=True)
class Overview:
    metrics: admin_metrics.Metrics
    costs: admin_metrics.Costs
    status: admin_status.SystemStatus


def overview(session: Session, user: User, days: int) -> Overview:
    return Overview(
        metrics=admin_metrics.metrics(session, user, days),
        costs=admin_metrics.costs(session, user, days),
        status=admin_status.system_status(session, user),
    )


def calls_text(count: int) -> str:
    return f"{count:,} call" if count == 1 else f"{count:,} calls"


def metric_cards(metrics: admin_metrics.Metrics) -> list[MetricCard]:
    failed = f"{metrics.failed_queries:,} failed ({metrics.failed_queries / metrics.queries:.0%})" if metrics.queries \
        else "none in this period"
    return [
        MetricCard("Users", human_count(metrics.users),
                   f"{metrics.new_users:,} new, {metrics.disabled_users:,} disabled", "users"),
        MetricCard("Active users", human_count(metrics.active_users), "asked at least one question", "user-check"),
        MetricCard("Queries", human_count(metrics.queries), failed, "message-circle-question"),
        MetricCard("Data sources", human_count(metrics.sources), f"{metrics.storage_mb:,.1f} MB stored", "database"),
        MetricCard("LLM cost", usd_text(metrics.llm_usd), calls_text(metrics.llm_calls), "circle-dollar-sign"),
    ]


def activity_figures(metrics: admin_metrics.Metrics) -> dict[str, dict[str, Any]]:
    days = [day.date for day in metrics.per_day]
    succeeded = [day.queries - day.failed_queries for day in metrics.per_day]
    return {
        "queries": daily_figure(
            days,
            [Series("Succeeded", succeeded), Series("Failed", [day.failed_queries for day in metrics.per_day],
                                                     FAILED_RED)],
            title="Queries per day", stacked=True,
        ),
        "llm_cost": daily_figure(
            days, [Series("LLM cost", [day.llm_usd for day in metrics.per_day])],
            title="LLM cost per day (USD)", kind="line", value_format=USD_FORMAT,
        ),
        "users": daily_figure(
            days,
            [Series("New users", [day.new_users for day in metrics.per_day]),
             Series("Active users", [day.active_users for day in metrics.per_day])],
            title="New and active users per day", kind="line",
        ),
        "storage": ranking_figure(
            [row.email for row in metrics.storage_by_user], [row.storage_mb for row in metrics.storage_by_user],
            title="Storage by user (MB, top 10)", value_format=",.1f",
        ),
    }


def cost_row(label: str, row: admin_metrics.CostByUser | admin_metrics.CostByKey) -> CostRow:
    return CostRow(
        label=label,
        calls=human_count(row.calls),
        prompt_tokens=human_count(row.prompt_tokens),
        completion_tokens=human_count(row.completion_tokens),
        usd=usd_text(row.usd),
        own_key_usd=usd_text(row.own_key_usd),
    )


def status_view(status: admin_status.SystemStatus) -> StatusView:
    database, redis = status.database, status.redis
    return StatusView(
        database_ok=database.ok,
        database=(f"{database.dialect}, answered in {database.latency_ms:g} ms" if database.ok
                  else database.error or "not reachable"),
        redis_configured=redis.configured,
        redis_ok=redis.ok,
        redis=(f"{redis.address}, answered in {redis.latency_ms:g} ms" if redis.ok
               else redis.error or "not reachable"),
        data_size=human_size(status.disk.data_bytes),
        free_disk=f"{human_size(status.disk.free_bytes)} free of {human_size(status.disk.total_bytes)}",
        checked=short_time(status.checked_at),
    )


class AdminState(AdminUsersMixin, AdminPlansMixin, AuthState):
    period: str = "30"
    loaded: bool = False
    cards: list[MetricCard] = []
    queries_figure: dict[str, Any] = {}
    llm_cost_figure: dict[str, Any] = {}
    users_figure: dict[str, Any] = {}
    storage_figure: dict[str, Any] = {}
    has_storage: bool = False
    cost_users: list[CostRow] = []
    cost_models: list[CostRow] = []
    cost_purposes: list[CostRow] = []
    cost_model_figure: dict[str, Any] = {}
    cost_purpose_figure: dict[str, Any] = {}
    cost_total: str = ""
    has_costs: bool = False
    status: StatusView = StatusView()

    async def _refresh_overview(self):
        days = int(self.period)
        found = await self._call_service(lambda session, user: overview(session, user, days))
        if isinstance(found, Failed):
            return outcome_of(found) or found.event
        self._show(found)
        return None

    def _show(self, found: Overview) -> None:
        metrics, costs = found.metrics, found.costs
        self.cards = metric_cards(metrics)
        figures = activity_figures(metrics)
        self.queries_figure = figures["queries"]
        self.llm_cost_figure = figures["llm_cost"]
        self.users_figure = figures["users"]
        self.storage_figure = figures["storage"]
        self.has_storage = bool(metrics.storage_by_user)
        self.cost_users = [cost_row(row.email or "(deleted account)", row) for row in costs.items]
        self.cost_models = [cost_row(row.key, row) for row in costs.by_model]
        self.cost_purposes = [cost_row(row.key, row) for row in costs.by_purpose]
        self.cost_model_figure = ranking_figure(
            [row.key for row in costs.by_model], [row.usd for row in costs.by_model],
            title="LLM cost by model (USD)", value_format=USD_FORMAT,
        )
        self.cost_purpose_figure = ranking_figure(
            [row.key for row in costs.by_purpose], [row.usd for row in costs.by_purpose],
            title="LLM cost by purpose (USD)", value_format=USD_FORMAT,
        )
        self.cost_total = f"{usd_text(costs.total_usd)} on the server's key over {calls_text(costs.calls)}"
        self.has_costs = costs.calls > 0
        self.status = status_view(found.status)
        self.loaded = True

    @rx.event
    async def load(self):
        """on_load: the period's report, then the users and the plans (each refusing a non-admin)."""
        self.users_page = 1
        self.users_error = ""
        for step in (self._refresh_overview, self._refresh_plans, self._refresh_users):
            outcome = await step()
            if outcome is not None:
                return outcome
        return None

    @rx.event
    async def set_period(self, value: str | list[str]):
        if not isinstance(value, str) or value not in PERIODS:
            return rx.toast.error("Choose 7, 30 or 90 days.")
        self.period = value
        return await self._refresh_overview()

    @rx.event
    async def refresh_status(self):
        checked = await self._call_service(admin_status.system_status)
        if isinstance(checked, Failed):
            return outcome_of(checked) or checked.event
        self.status = status_view(checked)
        return rx.toast.success("System status checked.")
