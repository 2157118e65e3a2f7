"""The chart spec: a chart type from a fixed list plus column names of the result.

A spec is declarative: nothing a user or an LLM sends is executed, it only names a type and
columns, and `lumiere.charts.overrides` checks those against the result before anything is drawn.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class ChartType(StrEnum):
    """The charts Lumiere draws; a spec's `type` is one of these values."""

    BAR = "bar"
    LINE = "line"
    AREA = "area"
    PIE = "pie"
    SCATTER = "scatter"
    HISTOGRAM = "histogram"
    KPI = "kpi"
    TABLE = "table"


CHART_TYPES: tuple[str, ...] = tuple(kind.value for kind in ChartType)


@dataclass
class ChartSpec:
    type: str
    x: str | None
    y: str | None
    color: str | None
    title: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def x_column(self) -> str:
        """The x column of a kind that needs one; the choice and `validate_override` always set it."""
        return _required(self.x, "x", self.type)

    @property
    def y_column(self) -> str:
        """The y column of a kind that needs one; the choice and `validate_override` always set it."""
        return _required(self.y, "y", self.type)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChartSpec:
        """Shape only; meaning is checked against a result by `validate_override`."""
        return cls(
            type=str(data.get("type") or "table"),
            x=_optional_str(data.get("x")),
            y=_optional_str(data.get("y")),
            color=_optional_str(data.get("color")),
            title=str(data.get("title") or ""),
        )


def _required(column: str | None, axis: str, chart_type: str) -> str:
    if column is None:
        raise ValueError(f"a {chart_type} chart needs an {axis} column")
    return column


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
