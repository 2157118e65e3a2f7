from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import AutoString, Field, SQLModel

from lumiere.core.enums import ExportFormat, RunStatus, RunTrigger
from lumiere.models._base import utcnow


class Schedule(SQLModel, table=True):
    """A query run on a cron and emailed. It keeps its own copy of the question, SQL and chart, so
    deleting the history entry it came from does not break it."""

    __tablename__ = "schedules"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    # The workspace it belongs to; None: the user's personal space. Deleting a workspace gives its
    # things back to the people who added them.
    workspace_id: int | None = Field(default=None, foreign_key="workspaces.id", index=True, ondelete="SET NULL")
    # The history entry it was made from (no foreign key: history can be deleted).
    query_id: int | None = Field(default=None)
    # No foreign key, like queries: a deleted source makes runs fail with a clear error instead.
    source_id: int | None = Field(default=None, index=True)
    name: str = Field(max_length=200)
    question: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    sql: str = Field(sa_column=Column(Text, nullable=False))
    chart_json: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    cron: str = Field(max_length=100)
    timezone: str = Field(max_length=64)
    recipients_json: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    format: ExportFormat = Field(default=ExportFormat.CSV, sa_type=AutoString(length=10))
    # {"column": "total", "op": ">", "value": 1000} or {"rows": true}; None: always send.
    only_if_json: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    enabled: bool = Field(default=True)
    next_run_at: datetime | None = Field(default=None, index=True)
    last_run_at: datetime | None = Field(default=None)
    last_status: RunStatus | None = Field(default=None, sa_type=AutoString(length=20))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ScheduleRun(SQLModel, table=True):
    """One run of a schedule. For a cron firing the row is also the claim: `(schedule_id, fire_at)`
    is unique, so of several workers that see the same firing exactly one inserts it and runs it.
    A manual run ("Run now") has no `fire_at`."""

    __tablename__ = "schedule_runs"
    __table_args__ = (UniqueConstraint("schedule_id", "fire_at", name="uq_schedule_runs_firing"),)

    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="schedules.id", index=True, ondelete="CASCADE")
    fire_at: datetime | None = Field(default=None)
    trigger: RunTrigger = Field(default=RunTrigger.CRON, sa_type=AutoString(length=10))
    status: RunStatus = Field(default=RunStatus.QUEUED, sa_type=AutoString(length=20), index=True)
    attempts: int = Field(default=0)
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    row_count: int | None = Field(default=None)
    queued_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = Field(default=None)
    finished_at: datetime | None = Field(default=None)


class EmailOptOut(SQLModel, table=True):
    """A recipient who clicked "stop these emails" for one schedule (no account needed)."""

    __tablename__ = "email_opt_outs"
    __table_args__ = (UniqueConstraint("schedule_id", "email", name="uq_email_opt_outs_schedule_email"),)

    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="schedules.id", index=True, ondelete="CASCADE")
    email: str = Field(max_length=254)
    created_at: datetime = Field(default_factory=utcnow)
