"""Request and response shapes of schedules, runs and the emails the user asks for (API.md → Schedules).

Request fields are bounded here; what they mean (a cron that parses, an IANA zone, valid addresses)
is checked by the services, so the pages and the API give the same 422 naming the field.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, JsonValue, StrictBool

from lumiere.api.schemas import StrictModel
from lumiere.core.enums import ExportFormat, RunStatus, RunTrigger

Recipients = Annotated[list[Annotated[str, Field(max_length=1000)]], Field(max_length=100)] | Annotated[
    str, Field(max_length=10_000)
]
OnlyIf = dict[str, JsonValue] | None


class ScheduleIn(StrictModel):
    query_id: int = Field(ge=1, le=2**53, description="A successful query of yours; its question, SQL and chart "
                                                      "are copied")
    cron: str = Field(max_length=200, description="5 fields: minute hour day-of-month month day-of-week, e.g. "
                                                  "'0 8 * * MON'")
    timezone: str = Field(max_length=100, description="IANA time zone the cron is read in, e.g. 'Europe/Paris'")
    recipients: Recipients = Field(description="1 to 20 email addresses (a list, or one comma-separated string)")
    format: str = Field(default=ExportFormat.CSV.value, max_length=20, description="csv, xlsx or pdf")
    name: str | None = Field(default=None, max_length=1000, description="Defaults to the query's question")
    only_if: OnlyIf = Field(
        default=None,
        description='Send only when: {"rows": true} there are rows, or {"column", "op", "value"} a number in the '
                    "result crosses a threshold (op: > >= < <= = !=)",
    )


class SchedulePatchIn(StrictModel):
    """Only the fields present change; `only_if: null` removes the condition."""

    name: str | None = Field(default=None, max_length=1000)
    cron: str | None = Field(default=None, max_length=200)
    timezone: str | None = Field(default=None, max_length=100)
    recipients: Recipients | None = None
    format: str | None = Field(default=None, max_length=20)
    only_if: OnlyIf = None
    enabled: StrictBool | None = None


class ScheduleOut(BaseModel):
    id: int
    name: str
    query_id: int | None
    cron: str
    timezone: str
    recipients: list[str]
    format: ExportFormat
    only_if: dict[str, JsonValue] | None
    enabled: bool
    next_run_at: str | None = Field(description="The next cron firing (UTC); null while turned off")
    last_run_at: str | None
    last_status: RunStatus | None
    question: str
    source_id: int | None
    cron_text: str = Field(description="The cron in words, e.g. 'At 08:00 on Monday'")
    created_at: str
    updated_at: str
    workspace_id: int | None = None
    user_id: int | None = Field(default=None, description="Who made it")


class ScheduleList(BaseModel):
    items: list[ScheduleOut]
    total: int
    page: int
    page_size: int
    email_configured: bool = Field(description="False: runs happen but fail with 'Email is not configured'")


class RunOut(BaseModel):
    id: int
    schedule_id: int
    started_at: str | None
    finished_at: str | None
    status: RunStatus
    error: str | None = Field(description="Why it failed or was skipped (or who it could not reach)")
    row_count: int | None
    trigger: RunTrigger
    fire_at: str | None = Field(description="The cron firing this run is for; null for Run now")
    queued_at: str
    attempts: int


class RunList(BaseModel):
    items: list[RunOut]
    total: int
    page: int
    page_size: int


class QueuedEmailOut(BaseModel):
    status: str = Field(description="'queued'")
    to: str
    detail: str


class ExportEmailIn(StrictModel):
    format: str = Field(max_length=20, description="csv, xlsx or pdf")
