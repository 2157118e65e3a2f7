"""Request and response shapes of plans and usage (API.md → Plans, usage, settings)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from lumiere.api.schemas import StrictModel


class LimitsOut(BaseModel):
    """Every limit of a plan; null means unlimited."""

    queries_per_month: int | None
    sources: int | None
    storage_mb: int | None
    llm_usd_per_month: float | None
    schedules: int | None
    share_links: int | None
    workspace_members: int | None
    requests_per_minute: int | None


class PlanOut(BaseModel):
    name: str
    title: str
    description: str
    limits: LimitsOut
    price_usd_per_month: float


class PlanListOut(BaseModel):
    items: list[PlanOut]
    total: int


class UsedOut(BaseModel):
    queries: int
    sources: int
    storage_mb: float
    llm_usd: float
    schedules: int
    share_links: int


class UsageOut(BaseModel):
    plan: str
    plan_title: str
    period_start: str
    period_end: str
    used: UsedOut
    limits: LimitsOut


class PlanChoiceIn(StrictModel):
    plan: str = Field(max_length=40)
