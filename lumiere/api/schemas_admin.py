"""Request and response shapes of the admin routes (API.md → Admin)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, StrictBool, StrictFloat, StrictInt

from lumiere.api.schemas import StrictModel
from lumiere.api.schemas_usage import PlanOut

Number = StrictInt | StrictFloat


class DayOut(BaseModel):
    date: str = Field(description="A UTC calendar day, YYYY-MM-DD")
    queries: int
    failed_queries: int
    active_users: int
    new_users: int
    llm_calls: int
    llm_usd: float


class StorageByUserOut(BaseModel):
    user_id: int
    email: str
    sources: int
    storage_mb: float


class MetricsOut(BaseModel):
    days: int
    period_start: str
    users: int
    new_users: int
    active_users: int = Field(description="Users with at least one query in the period")
    disabled_users: int
    queries: int
    failed_queries: int = Field(description="Queries whose status is not ok")
    sources: int
    storage_mb: float
    llm_calls: int
    llm_usd: float = Field(description="Spent on the installation's LLM key in the period")
    per_day: list[DayOut] = Field(description="Every day of the period, oldest first, zeros included")
    storage_by_user: list[StorageByUserOut] = Field(description="The users who store the most")


class UserUsageOut(BaseModel):
    queries: int = Field(description="Queries counted against the plan this month")
    sources: int
    storage_mb: float
    llm_usd: float = Field(description="LLM spend on the installation's key this month")


class AdminUserOut(BaseModel):
    id: int
    email: str
    name: str
    role: Literal["user", "admin"]
    plan: str
    disabled: bool
    created_at: str
    usage: UserUsageOut


class AdminUserListOut(BaseModel):
    items: list[AdminUserOut]
    total: int
    page: int
    page_size: int
    sort: str


class AdminUserPatchIn(StrictModel):
    role: Literal["user", "admin"] | None = None
    disabled: StrictBool | None = None


class AdminPlanChoiceIn(StrictModel):
    plan: str = Field(max_length=40)


class CostByUserOut(BaseModel):
    user_id: int | None = Field(description="null: an account deleted since")
    email: str | None
    calls: int
    prompt_tokens: int
    completion_tokens: int
    usd: float = Field(description="Cost on the installation's key")
    own_key_usd: float = Field(description="Cost of calls made with the user's own key (theirs to pay)")


class CostByModelOut(BaseModel):
    model: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    usd: float
    own_key_usd: float


class CostByPurposeOut(BaseModel):
    purpose: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    usd: float
    own_key_usd: float


class CostsOut(BaseModel):
    days: int
    period_start: str
    items: list[CostByUserOut]
    by_model: list[CostByModelOut]
    by_purpose: list[CostByPurposeOut]
    total_usd: float
    own_key_usd: float
    calls: int


class LimitsIn(StrictModel):
    """Limits to set; null means unlimited, a limit left out keeps its value (on a change)."""

    queries_per_month: Number | None = None
    sources: Number | None = None
    storage_mb: Number | None = None
    llm_usd_per_month: Number | None = None
    schedules: Number | None = None
    share_links: Number | None = None
    workspace_members: Number | None = None
    requests_per_minute: Number | None = None


class PlanCreateIn(StrictModel):
    name: str = Field(max_length=40)
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=1000)
    price_usd_per_month: Number = 0
    limits: LimitsIn = Field(default_factory=LimitsIn)


class PlanPatchIn(StrictModel):
    title: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    price_usd_per_month: Number | None = None
    limits: LimitsIn | None = None


class AdminPlanListOut(BaseModel):
    items: list[PlanOut]
    total: int


class DatabaseStatusOut(BaseModel):
    ok: bool
    dialect: str
    latency_ms: float | None
    error: str | None


class RedisStatusOut(BaseModel):
    configured: bool
    ok: bool
    address: str | None
    latency_ms: float | None
    error: str | None


class DiskStatusOut(BaseModel):
    data_bytes: int = Field(description="Bytes under the data folder")
    free_bytes: int
    total_bytes: int


class SystemStatusOut(BaseModel):
    checked_at: str
    database: DatabaseStatusOut
    redis: RedisStatusOut
    disk: DiskStatusOut
