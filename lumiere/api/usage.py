"""/api/plans and /api/usage: the plans on offer, the user's usage this month, self-service plan changes."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from lumiere.api.deps import CurrentUser, DbSession
from lumiere.api.routing import Router
from lumiere.api.schemas_usage import PlanChoiceIn, PlanListOut, UsageOut
from lumiere.core.usage import PlanView, UsageReport
from lumiere.models._base import iso_utc
from lumiere.services.plans import list_plans
from lumiere.services.usage import change_plan, usage_report

router = Router(prefix="/api", tags=["plans and usage"])


def plan_body(plan: PlanView) -> dict[str, Any]:
    return asdict(plan)


def usage_body(report: UsageReport) -> dict[str, Any]:
    body = asdict(report)
    body["period_start"] = iso_utc(report.period_start)
    body["period_end"] = iso_utc(report.period_end)
    return body


@router.get("/plans", response_model=PlanListOut)
def plans(_user: CurrentUser, session: DbSession) -> dict[str, Any]:
    items = [plan_body(plan) for plan in list_plans(session)]
    return {"items": items, "total": len(items)}


@router.get("/usage", response_model=UsageOut)
def usage(user: CurrentUser, session: DbSession) -> dict[str, Any]:
    return usage_body(usage_report(session, user))


@router.post("/usage/plan", response_model=UsageOut)
def choose_plan(body: PlanChoiceIn, user: CurrentUser, session: DbSession) -> dict[str, Any]:
    return usage_body(change_plan(session, user, body.plan))
