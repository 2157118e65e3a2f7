from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from lumiere.models._base import utcnow


class LlmCall(SQLModel, table=True):
    """Every request made to an LLM, for cost and usage pages."""

    __tablename__ = "llm_calls"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True, ondelete="SET NULL")
    purpose: str = Field(max_length=30)  # sql | chart | insight | chat
    model: str = Field(max_length=100)
    prompt_tokens: int = Field(default=0)
    completion_tokens: int = Field(default=0)
    cost_usd: float = Field(default=0.0)
    latency_ms: int = Field(default=0)
    # ok | invalid_output | rate_limited | timeout | server_error | connection_error | auth_error | request_error
    outcome: str = Field(max_length=30)
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, index=True)
