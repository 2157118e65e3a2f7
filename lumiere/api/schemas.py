"""Request and response shapes of the REST contract (see API.md).

Request models bound sizes and types; the services still validate meaning (email format,
password length in bytes) so that pages and API say the same thing. Every route that returns a
body names its response model here, so `/api/openapi.json` is the whole contract.

Values that come from the data (cells, profile statistics, Plotly figures) are `Any`/`JsonValue`:
the models describe their place, not their type, and never coerce them (an int stays an int).
Keys that a service only sends in some cases (a CSV's `table_name`, a database's `connection`,
a numeric column's `min`) are optional here, and those routes leave unset keys out, so a body
holds exactly the keys it held before it had a model.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field, JsonValue, StrictBool, StrictStr

from lumiere.core.enums import ChatRole, Engine, ExampleOrigin, Feedback, QueryOrigin, QueryStatus, Theme
from lumiere.core.resultset import ColumnKind

IdPath = Annotated[int, Path(ge=1, le=2**53, description="A positive integer id")]
# Which space a list shows or a new thing goes to: a workspace you belong to, or (left out) your personal space.
WorkspaceParam = Annotated[
    int | None, Query(ge=1, le=2**53, description="A workspace you belong to; left out: your personal space")
]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)


class RegisterIn(StrictModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1000)
    name: str = Field(max_length=500)


class LoginIn(StrictModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1000)


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    role: Literal["user", "admin"]
    plan: str
    theme: Theme = Field(default=Theme.SYSTEM, description="The chosen appearance; it follows the user to any browser")
    created_at: str


class LoginOut(BaseModel):
    access_token: str
    token_type: str
    expires_in: int
    user: UserOut


class UserPatchIn(StrictModel):
    name: str | None = Field(default=None, max_length=500)
    email: str | None = Field(default=None, max_length=320)
    password: str | None = Field(default=None, max_length=1000)
    current_password: str | None = Field(default=None, max_length=1000)
    theme: Theme | None = None


class UserPatchOut(UserOut):
    access_token: str | None = None
    expires_in: int | None = None


# --- data sources -------------------------------------------------------------------------------

SourceKind = Literal["csv", "postgresql", "mysql"]


class ColumnOut(BaseModel):
    name: str
    type: str = Field(description="The type name as the source reports it")
    kind: ColumnKind


class ResultColumnOut(ColumnOut):
    unit: str | None = Field(
        default=None,
        description='The unit of the numbers ("$", "€", "%", "kg"...) when the column is, or sums, averages, '
        "takes the minimum, maximum or median of, a source column with that unit in the semantic layer",
    )


class TableOut(BaseModel):
    name: str = Field(description="The table's name to use in SQL")
    row_count: int | None
    columns: list[ColumnOut]


class ConnectionOut(BaseModel):
    """A database source's connection, without its password."""

    host: str | None
    port: int | None
    database: str | None
    user: str | None
    schema_: str | None = Field(alias="schema")

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class TopValue(BaseModel):
    value: JsonValue
    count: int


class StoredJson(BaseModel):
    """Read from JSON stored with a source by earlier versions too: keys not named here pass through."""

    model_config = ConfigDict(extra="allow")


class ColumnProfile(StoredJson):
    name: str
    type: str
    kind: ColumnKind
    null_count: int
    distinct_count: int | None
    samples: list[JsonValue] = []
    min: JsonValue = None
    max: JsonValue = None
    mean: JsonValue = None
    max_length: int | None = Field(default=None, description="Text columns: the longest value's length")
    top_values: list[TopValue] = []


class TableProfile(StoredJson):
    name: str | None = None
    row_count: int | None
    approximate: bool | None = None
    columns: list[ColumnProfile]
    error: str | None = Field(default=None, description="Why this table could not be profiled")


class SourceProfile(StoredJson):
    tables: list[TableProfile]
    columns: list[ColumnProfile] | None = Field(default=None, description="A CSV's one table's columns")
    approximate: bool | None = None
    computed_at: str | None = None


class SourceOut(BaseModel):
    id: int
    name: str
    kind: SourceKind
    tables: list[TableOut]
    row_count: int | None
    column_count: int | None
    size_bytes: int | None = Field(description="The stored dataset on disk (what the storage quota counts)")
    file_bytes: int | None = Field(default=None, description="CSV sources: the size of the uploaded file")
    created_at: str
    table_name: str | None = Field(default=None, description="CSV sources: the table to use in SQL")
    connection: ConnectionOut | None = Field(default=None, description="Database sources only")
    workspace_id: int | None = Field(default=None, description="The workspace it belongs to; null: personal")
    created_by: str | None = Field(default=None, description="Who added it (in a workspace's list)")


class SourceDetailOut(SourceOut):
    details: dict[str, JsonValue] = Field(description="How the file was read (encoding, delimiter, notes) or connected")
    profile: SourceProfile | None
    suggested_questions: list[str]


class SourceList(BaseModel):
    items: list[SourceOut]
    total: int


class PreviewOut(BaseModel):
    table: str
    columns: list[ColumnOut]
    rows: list[list[Any]]
    total: int
    limit: int
    offset: int


class ConnectionTestOut(BaseModel):
    ok: Literal[True]
    tables: list[TableOut]


# --- semantic layer -----------------------------------------------------------------------------
# Request bounds here are loose guards on body size; the semantics service checks the real limits
# (after trimming) and says which column and field to fix, for the page and the API alike.


class ValueMeaningIO(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stored: StrictStr = Field(max_length=1000, description="The value as stored in the data, e.g. `Mon`")
    words: list[StrictStr] = Field(max_length=100, description="Everyday words for it, e.g. `Monday`")


class ColumnSemanticsOut(BaseModel):
    table: str
    column: str
    type: str = Field(description="The type name as the source reports it")
    description: str
    synonyms: list[str]
    unit: str = Field(description="Shown beside numbers: $, %, kg, minutes ...; empty when none")
    values: list[ValueMeaningIO]
    edited: bool = Field(description="True when the user saved this column; false when all of it is inferred")


class SemanticsOut(BaseModel):
    source_id: int
    columns: list[ColumnSemanticsOut]


class ColumnSemanticsIn(BaseModel):
    """One column's new meaning; the fields sent replace the column's earlier edit, `reset` removes it."""

    model_config = ConfigDict(extra="forbid")

    table: StrictStr = Field(max_length=1000)
    column: StrictStr = Field(max_length=1000)
    description: StrictStr | None = Field(default=None, max_length=5000)
    synonyms: list[StrictStr] | None = Field(default=None, max_length=200)
    unit: StrictStr | None = Field(default=None, max_length=200)
    values: list[ValueMeaningIO] | None = Field(default=None, max_length=2000)
    reset: StrictBool = Field(default=False, description="Back to what Lumiere infers for this column")


class SemanticsPatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    columns: list[ColumnSemanticsIn] = Field(max_length=2000)


# --- answers and history ------------------------------------------------------------------------


class ChartOut(BaseModel):
    type: Literal["bar", "line", "pie", "scatter", "histogram", "area", "kpi", "table"]
    x: str | None
    y: str | None
    color: str | None
    title: str
    figure: dict[str, Any] = Field(description="Plotly JSON (fig.to_plotly_json()): plain data, no code")
    notes: list[str]


class ExplorationCardOut(BaseModel):
    """One card of an exploration: its own SQL (run through the same guard), rows, chart and a sentence."""

    title: str
    sql: str
    columns: list[ResultColumnOut]
    rows: list[list[Any]]
    chart: ChartOut | None
    insight: str = Field(description="Inert markdown computed from the card's rows and the column profile")


class ResultOut(BaseModel):
    """An answer: the SQL that ran, its rows and a chart."""

    query_id: int
    question: str
    sql: str
    engine: Engine = Field(description="Who wrote the SQL: the LLM, the built-in engine, or the user")
    origin: QueryOrigin
    source_id: int | None
    columns: list[ResultColumnOut]
    rows: list[list[Any]]
    row_count: int
    truncated: bool
    duration_ms: int
    chart: ChartOut | None
    explanation: str
    notes: list[str]
    cached: bool = Field(
        default=False, description="True when the rows came from the result cache instead of a new run of the SQL"
    )
    exploration: list[ExplorationCardOut] | None = Field(
        default=None,
        description='For a vague request ("show me something interesting"): 3-6 cards picked from the source\'s '
        "profile; the answer's own fields are the first card's. Null for an ordinary answer.",
    )


class QueryOut(BaseModel):
    """A history entry."""

    id: int
    question: str
    sql: str
    status: QueryStatus
    error: str | None
    row_count: int | None
    duration_ms: int | None
    source_id: int | None
    source_name: str
    engine: Engine
    origin: QueryOrigin
    note: str | None
    chart: dict[str, JsonValue] | None = Field(description="The chart chosen for this query, reused on re-run")
    created_at: str
    source_exists: bool = Field(description="False once the query's data source was deleted")
    feedback: Feedback | None = Field(default=None, description="The user's thumbs up/down on this answer, if given")
    workspace_id: int | None = Field(default=None, description="The workspace it belongs to; null: personal")
    user_id: int | None = Field(default=None, description="Who asked it")
    created_by: str | None = Field(default=None, description="Who asked it (in a workspace's history)")


class QueryList(BaseModel):
    items: list[QueryOut]
    total: int
    page: int
    page_size: int


class FeedbackIn(StrictModel):
    verdict: Feedback = Field(description="'up': the answer is right; 'down': it is wrong")
    sql: str | None = Field(
        default=None,
        max_length=100_000,
        description="With 'down': the corrected SQL; it runs like /api/ai/sql and, if it runs, answers the question "
        "from now on",
    )


class ExampleOut(BaseModel):
    """A (question, SQL) pair the user taught on a source; the question (or the same with other values) reuses it."""

    id: int
    question: str
    sql: str
    origin: ExampleOrigin = Field(description="confirmed (thumbs up), edited (SQL edited and run) or corrected")
    created_at: str


class ExampleList(BaseModel):
    items: list[ExampleOut]
    total: int


# --- insights -----------------------------------------------------------------------------------


class InsightOut(BaseModel):
    id: int
    query_id: int
    text: str = Field(description="Markdown without HTML, links or images")
    facts: list[dict[str, JsonValue]]
    engine: Literal[Engine.LLM, Engine.BUILTIN] = Field(description="Who wrote the text")
    saved: bool
    created_at: str
    question: str | None = None
    workspace_id: int | None = None
    created_by: str | None = Field(default=None, description="Who saved it (in a workspace's list)")


class InsightList(BaseModel):
    items: list[InsightOut]
    total: int
    page: int
    page_size: int


# --- chat ---------------------------------------------------------------------------------------


class ChatMessageOut(BaseModel):
    id: int
    role: ChatRole
    text: str = Field(description="The message; for a reply without a result, a clarifying question or a refusal")
    query_id: int | None = Field(description="The history entry an assistant reply that ran SQL recorded")
    result: ResultOut | None = Field(
        description="For a reply that ran SQL: /api/ai/query's result (its `sql` is the full standalone SQL)"
    )
    created_at: str


class ChatSessionOut(BaseModel):
    id: int
    title: str
    source_id: int | None
    message_count: int
    created_at: str
    updated_at: str
    workspace_id: int | None = None
    user_id: int | None = Field(default=None, description="Who started it")


class ChatExchangeOut(BaseModel):
    session_id: int
    user_message: ChatMessageOut
    reply: ChatMessageOut


class ChatSessionList(BaseModel):
    items: list[ChatSessionOut]
    total: int


class ChatMessageList(BaseModel):
    items: list[ChatMessageOut]
    total: int
