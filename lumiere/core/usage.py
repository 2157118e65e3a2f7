"""Plans and usage as the services hand them to pages and the API (the shapes of API.md)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime


@dataclass(frozen=True)
class PlanLimits:
    """What a plan allows; `None` means unlimited."""

    queries_per_month: int | None = None
    sources: int | None = None
    storage_mb: int | None = None
    llm_usd_per_month: float | None = None
    schedules: int | None = None
    share_links: int | None = None
    workspace_members: int | None = None
    # Used by the rate limiter: requests one user may make per minute.
    requests_per_minute: int | None = None

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(field.name for field in fields(cls))


@dataclass(frozen=True)
class PlanView:
    name: str
    title: str
    limits: PlanLimits
    price_usd_per_month: float
    description: str = ""


@dataclass(frozen=True)
class UsedThisPeriod:
    """What the user has used: queries and LLM spend this month, the rest what they hold now."""

    queries: int = 0
    sources: int = 0
    storage_mb: float = 0.0
    llm_usd: float = 0.0
    schedules: int = 0
    share_links: int = 0


@dataclass(frozen=True)
class UsageReport:
    plan: str
    plan_title: str
    period_start: datetime
    period_end: datetime
    used: UsedThisPeriod
    limits: PlanLimits
