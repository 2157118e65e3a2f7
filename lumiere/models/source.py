from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from lumiere.models._base import utcnow


class Source(SQLModel, table=True):
    """A user's data: an uploaded file (one immutable DuckDB file) or an external database."""

    __tablename__ = "sources"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    # The workspace it belongs to; None: the user's personal space. Deleting a workspace gives its
    # things back to the people who added them.
    workspace_id: int | None = Field(default=None, foreign_key="workspaces.id", index=True, ondelete="SET NULL")
    name: str = Field(max_length=200)
    kind: str = Field(max_length=20)  # csv | postgresql | mysql
    # For uploads: the SQL table name (unique per user) and the DuckDB file under the data dir.
    table_name: str | None = Field(default=None, max_length=128)
    storage_key: str | None = Field(default=None, max_length=300)
    row_count: int = Field(default=0)
    column_count: int = Field(default=0)
    size_bytes: int = Field(default=0)
    # [{name, row_count, columns: [{name, type}]}]
    tables_json: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Column profile, computed once at ingest (uploads) or on demand (external sources).
    profile_json: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Ingest notes shown to the user (detected encoding, skipped rows ...).
    details_json: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # External databases: host, port, database, user, schema (no password here).
    connection_json: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # The user's edits to the semantic layer (descriptions, synonyms, units, value words) by
    # table and column; what the engine infers is added on read, so only edits are stored.
    semantics_json: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    password_encrypted: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
