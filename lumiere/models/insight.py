from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import AutoString, Field, SQLModel

from lumiere.core.enums import Engine
from lumiere.models._base import utcnow


class Insight(SQLModel, table=True):
    __tablename__ = "insights"
    # Insight lists: one space's, newest first.
    __table_args__ = (
        Index("ix_insights_user_workspace_created", "user_id", "workspace_id", "created_at", "id"),
        Index("ix_insights_workspace_created", "workspace_id", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    # The workspace it belongs to; None: the user's personal space. Deleting a workspace gives its
    # things back to the people who added them.
    workspace_id: int | None = Field(default=None, foreign_key="workspaces.id", index=True, ondelete="SET NULL")
    query_id: int = Field(foreign_key="queries.id", index=True, ondelete="CASCADE")
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    facts_json: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    engine: Engine = Field(default=Engine.BUILTIN, sa_type=AutoString(length=20))  # llm | builtin
    saved: bool = Field(default=False, index=True)
    created_at: datetime = Field(default_factory=utcnow)
