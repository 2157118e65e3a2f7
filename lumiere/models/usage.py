from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from lumiere.models._base import utcnow


class LlmCall(SQLModel, table=True):
    """Every request made to an LLM, for cost and usage pages."""

    __tablename__ = "llm_calls"
    # A user's LLM spend this month (the plan's budget, the usage page).
    __table_args__ = (Index("ix_llm_calls_user_created", "user_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True, ondelete="SET NULL")
    purpose: str = Field(max_length=30)  # sql | chart | insight | chat
    model: str = Field(max_length=100)
    prompt_tokens: int = Field(default=0)
    completion_tokens: int = Field(default=0)
    cost_usd: float = Field(default=0.0)
    latency_ms: int = Field(default=0)
    # Made with the user's own API key: their money, so it does not count against the plan's LLM budget.
    user_key: bool = Field(default=False)
    # ok | invalid_output | rate_limited | timeout | server_error | connection_error | auth_error | request_error
    outcome: str = Field(max_length=30)
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, index=True)


class UsageCounter(SQLModel, table=True):
    """How much of one metric a user has used: per calendar month (`period` = "2026-12") for
    monthly metrics, or a running total (`period` = "total"). Taken and given back with single
    conditional UPDATE statements, so two requests at once never both take the last unit."""

    __tablename__ = "usage_counters"
    __table_args__ = (UniqueConstraint("user_id", "metric", "period", name="uq_usage_counters_user_metric_period"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    metric: str = Field(max_length=30)
    period: str = Field(max_length=7)
    used: int = Field(default=0, sa_type=BigInteger)
    updated_at: datetime = Field(default_factory=utcnow)
