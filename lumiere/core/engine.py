"""What a question engine gets and gives back; both engines implement `QuestionEngine`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from lumiere.core.enums import Engine
from lumiere.core.errors import Invalid
from lumiere.core.semantics import SourceSemantics


@dataclass
class ColumnInfo:
    name: str
    type: str  # DuckDB/PostgreSQL/MySQL type name as the source reports it
    kind: str  # integer | number | text | date | datetime | boolean | other
    samples: list[Any] = field(default_factory=list)  # a few distinct non-null values, bounded
    distinct_count: int | None = None
    null_count: int | None = None
    min: Any = None
    max: Any = None


@dataclass
class TableInfo:
    name: str
    row_count: int
    columns: list[ColumnInfo]


@dataclass
class ValueMatch:
    """A phrase of the question found as a stored value of a text column."""

    table: str
    column: str
    value: str  # exactly as stored
    phrase: str  # as written in the question


@dataclass
class Example:
    """An earlier successful question -> SQL pair of the same user on the same source."""

    question: str
    sql: str


@dataclass
class QuestionContext:
    dialect: str  # sqlglot dialect of the source: duckdb | postgres | mysql
    tables: list[TableInfo]
    examples: list[Example] = field(default_factory=list)
    # Looks phrases up among the stored values of text columns (runs guarded SQL on the source).
    find_values: Callable[[list[str]], list[ValueMatch]] = lambda phrases: []
    user_id: int | None = None
    # What the user (or inference) says the columns and coded values mean; empty when nothing is known.
    semantics: SourceSemantics = field(default_factory=SourceSemantics)
    # Changes whenever the data, its profile or its semantic layer do: the built-in engine keeps what it
    # derives from the schema under it (None: nothing is kept).
    dataset_key: str | None = None


@dataclass
class GeneratedSQL:
    sql: str
    engine: Engine
    explanation: str = ""
    notes: list[str] = field(default_factory=list)
    chart_hint: dict[str, Any] | None = None
    # The engine's own reading of the question (the built-in engine's plan as JSON), kept with a
    # chat turn so a follow-up can refine it; None when the engine keeps none.
    reading: dict[str, Any] | None = None


@dataclass
class Attempt:
    """A previous try that failed, fed back to the LLM for self-correction."""

    sql: str
    error: str


class CannotAnswer(Invalid):
    """The engine could not place the question; 422 with questions it can answer instead."""

    def __init__(self, detail: str, suggestions: list[str]) -> None:
        super().__init__(detail, suggestions=suggestions)
        self.suggestions = suggestions


class QuestionEngine(Protocol):
    @property
    def name(self) -> str: ...

    def generate(
        self, question: str, context: QuestionContext, *, attempts: list[Attempt] | None = None
    ) -> GeneratedSQL: ...
