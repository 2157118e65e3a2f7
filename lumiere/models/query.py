from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import AutoString, Field, SQLModel

from lumiere.core.enums import Engine, Feedback, QueryOrigin, QueryStatus
from lumiere.models._base import utcnow


class Query(SQLModel, table=True):
    """One question, SQL edit or re-run, kept in the user's history even after its source is gone."""

    __tablename__ = "queries"
    # History lists: one space's entries, newest first (personal: user and no workspace; a workspace's),
    # read backwards from the index with no sort (the order ends with id).
    __table_args__ = (
        Index("ix_queries_user_workspace_created", "user_id", "workspace_id", "created_at", "id"),
        Index("ix_queries_workspace_created", "workspace_id", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    # The workspace it belongs to; None: the user's personal space. Deleting a workspace gives its
    # things back to the people who added them.
    workspace_id: int | None = Field(default=None, foreign_key="workspaces.id", index=True, ondelete="SET NULL")
    # No foreign key: deleting a source keeps the history readable.
    source_id: int | None = Field(default=None, index=True)
    source_name: str = Field(default="", max_length=200)
    question: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    sql: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # Stored as text (AutoString), so a new enum member needs no schema change; rows read back hold
    # the plain string, which equals the member.
    status: QueryStatus = Field(default=QueryStatus.OK, sa_type=AutoString(length=20), index=True)
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    row_count: int | None = Field(default=None)
    duration_ms: int | None = Field(default=None)
    engine: Engine = Field(default=Engine.BUILTIN, sa_type=AutoString(length=20))
    origin: QueryOrigin = Field(default=QueryOrigin.QUESTION, sa_type=AutoString(length=20))
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The chart chosen for this query (type, x, y, color, title), reused on re-run.
    chart_json: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # The user's thumbs up/down on this answer; None until they give one.
    feedback: Feedback | None = Field(default=None, sa_type=AutoString(length=10))
    created_at: datetime = Field(default_factory=utcnow, index=True)
