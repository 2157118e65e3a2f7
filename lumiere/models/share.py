from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from lumiere.models._base import utcnow


class ShareLink(SQLModel, table=True):
    """A public link to one answer. It shows a snapshot taken when it was shared (question, rows,
    chart, insight, source name, time), never the live data; the token is stored only as a hash."""

    __tablename__ = "share_links"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    workspace_id: int | None = Field(default=None, foreign_key="workspaces.id", index=True, ondelete="SET NULL")
    # The history entry it was made from (no foreign key: the snapshot outlives it).
    query_id: int | None = Field(default=None, index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    # The first characters of the token, so the owner can tell links apart.
    prefix: str = Field(max_length=16)
    snapshot_json: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    expires_at: datetime | None = Field(default=None)
    view_count: int = Field(default=0)
    last_viewed_at: datetime | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)
