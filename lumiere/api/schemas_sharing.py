"""Request and response shapes of public share links (API.md → Sharing).

`expires_in_days` is taken as any JSON value and checked by the service, so the page and the API
give the same 422 naming the field.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, JsonValue

from lumiere.api.schemas import ChartOut, StrictModel
from lumiere.core.resultset import ColumnKind


class ShareIn(StrictModel):
    expires_in_days: JsonValue = Field(
        default=None, description="Whole days from 1 to 365; left out or null: the link does not expire"
    )


class ShareCreatedOut(BaseModel):
    """The token is shown this once; the server keeps only its hash."""

    token: str
    url: str = Field(description="The page that shows the snapshot: <public_url>/s/<token>")
    expires_at: str | None


class ShareOut(BaseModel):
    """One of your links (its token is not kept, only its first characters)."""

    id: int
    query_id: int | None
    question: str
    prefix: str = Field(description="The token's first characters, to tell links apart")
    created_at: str
    expires_at: str | None
    expired: bool
    view_count: int
    last_viewed_at: str | None


class ShareList(BaseModel):
    items: list[ShareOut]
    total: int


class SharedColumnOut(BaseModel):
    name: str
    type: str = Field(description="The type name as the source reports it")
    kind: ColumnKind
    unit: str | None


class SharedAnswerOut(BaseModel):
    """The snapshot taken when the link was made: only that answer, never its SQL or its owner."""

    question: str
    columns: list[SharedColumnOut]
    rows: list[list[Any]] = Field(description="The first rows (at most 1,000) of the answer")
    row_count: int = Field(description="Rows the whole answer had")
    chart: ChartOut | None
    insight: str | None = Field(description="Markdown without HTML, links or images")
    source_name: str
    ran_at: str = Field(description="When the rows were read (UTC)")
