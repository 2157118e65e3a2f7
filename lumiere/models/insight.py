from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from lumiere.models._base import utcnow


class Insight(SQLModel, table=True):
    __tablename__ = "insights"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    query_id: int = Field(foreign_key="queries.id", index=True, ondelete="CASCADE")
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    facts_json: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    engine: str = Field(default="builtin", max_length=20)
    saved: bool = Field(default=False, index=True)
    created_at: datetime = Field(default_factory=utcnow)
