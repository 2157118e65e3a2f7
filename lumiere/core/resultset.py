"""The shape every executed query comes back in, whatever ran it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ColumnKind = Literal["integer", "number", "text", "date", "datetime", "boolean", "other"]


@dataclass
class ResultColumn:
    name: str
    type: str  # the database's own type name, e.g. BIGINT, DOUBLE, VARCHAR, DATE
    kind: ColumnKind  # what charts and insights reason about
    # "$", "%", "kg"... when the column is (or sums, averages...) a source column with that unit in
    # the semantic layer; set by services.result_units after the query ran, None otherwise.
    unit: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"name": self.name, "type": self.type, "kind": self.kind, "unit": self.unit}


def unit_affixes(unit: str | None) -> tuple[str, str]:
    """Where a unit goes around a number, as (prefix, suffix): "$" -> ("$", ""), "%" -> ("", "%"),
    a code or word ("EUR", "kg", "minutes") -> ("", " EUR")."""
    if not unit:
        return "", ""
    if unit == "%":
        return "", "%"
    if unit.isalpha() or len(unit) > 3:
        return "", f" {unit}"
    return unit, ""


@dataclass
class ResultSet:
    """Rows are JSON-safe: dates and timestamps as ISO strings, decimals as floats."""

    columns: list[ResultColumn]
    rows: list[list[Any]]
    row_count: int  # rows the full query returns, even when `rows` was capped
    truncated: bool
    duration_ms: int
    sql: str = ""  # the SQL that actually ran (re-rendered by the guard)
    notes: list[str] = field(default_factory=list)
    # True when the rows came from the result cache (services/result_cache.py) instead of a new run.
    cached: bool = False

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def unit_of(self, name: str) -> str | None:
        return next((column.unit for column in self.columns if column.name == name), None)
