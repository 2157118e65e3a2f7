from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import AutoString, Field, SQLModel

from lumiere.core.enums import ChatRole
from lumiere.models._base import utcnow


class ChatSession(SQLModel, table=True):
    """A conversation of one user about one source; its messages are read in order as context."""

    __tablename__ = "chat_sessions"
    # The chat list: one user's space, latest first.
    __table_args__ = (Index("ix_chat_sessions_user_workspace_updated", "user_id", "workspace_id", "updated_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    # The workspace it belongs to; None: the user's personal space. Deleting a workspace gives its
    # things back to the people who added them.
    workspace_id: int | None = Field(default=None, foreign_key="workspaces.id", index=True, ondelete="SET NULL")
    # No foreign key, like queries: deleting a source keeps the conversation readable.
    source_id: int | None = Field(default=None, index=True)
    title: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class ChatMessage(SQLModel, table=True):
    """One message; an assistant turn that ran SQL keeps its standalone question, SQL, result and the
    engine's reading, so a follow-up (or a re-run) needs nothing else."""

    __tablename__ = "chat_messages"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="chat_sessions.id", index=True, ondelete="CASCADE")
    role: ChatRole = Field(default=ChatRole.USER, sa_type=AutoString(length=20))
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # The history entry the turn recorded (no foreign key: history can be deleted).
    query_id: int | None = Field(default=None)
    result_json: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    reading_json: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    standalone_question: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    sql: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    chart_json: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
