"""ChartViewer's state: the answer's chart and the user's changes to it, saved with the query.

A mixin, so the chat and dashboards can show the same viewer for their own answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import reflex as rx
from sqlmodel import Session

from lumiere.charts import CHART_TYPES
from lumiere.models import User
from lumiere.services import charts
from lumiere.state.arguments import MAX_LABEL_CHARS, bounded_text, form_text, one_of
from lumiere.state.service_calls import Failed

SWITCHABLE_TYPES = ("bar", "line", "area", "pie", "scatter", "histogram")
NO_COLOUR = "(none)"
T = TypeVar("T")
MAX_TITLE_CHARS = 200
REQUEST_KEYS = frozenset({"type", "x", "y", "color", "title"})
NOT_A_COLUMN = "Pick the chart type and the columns from the lists."


def _is_chart_request(wanted: Any) -> bool:
    """What `_chart_request` builds: known keys, short text values (the service checks the columns)."""
    return (
        isinstance(wanted, dict)
        and set(wanted) <= REQUEST_KEYS
        and all(
            value is None or (isinstance(value, str) and len(value) <= MAX_LABEL_CHARS) for value in wanted.values()
        )
    )


class ChartMixin(rx.State, mixin=True):
    chart_query_id: int = 0
    chart_type: str = ""
    chart_x: str = ""
    chart_y: str = ""
    chart_color: str = NO_COLOUR
    chart_title: str = ""
    chart_figure: dict[str, Any] = {}
    chart_notes: list[str] = []
    chart_columns: list[str] = []
    chart_busy: bool = False

    if TYPE_CHECKING:
        # AuthState's, which every page state that mixes this in extends.
        async def _call_service(self, work: Callable[[Session, User], T]) -> T | Failed: ...
    chart_error: str = ""
    chart_title_key: int = 0

    @rx.var
    def has_chart(self) -> bool:
        return bool(self.chart_figure) and self.chart_type not in ("", "table")

    @rx.var
    def chart_colour_options(self) -> list[str]:
        return [NO_COLOUR, *self.chart_columns]

    @rx.var
    def chart_export_name(self) -> str:
        cleaned = "".join(char if char.isalnum() else "-" for char in self.chart_title.lower()).strip("-")
        return ("-".join(part for part in cleaned.split("-") if part) or "chart")[:60]

    def _clear_chart(self) -> None:
        self.chart_query_id = 0
        self.chart_type = self.chart_x = self.chart_y = self.chart_title = self.chart_error = ""
        self.chart_color = NO_COLOUR
        self.chart_figure = {}
        self.chart_notes = []
        self.chart_columns = []
        self.chart_busy = False

    def _show_chart(self, query_id: int, chart: dict[str, Any] | None, columns: list[str]) -> None:
        self.chart_query_id = query_id
        self.chart_columns = columns
        self.chart_error = ""
        self.chart_busy = False
        if not chart:
            self.chart_type, self.chart_figure, self.chart_notes = "table", {}, []
            return
        self.chart_type = chart.get("type") or "table"
        self.chart_x = chart.get("x") or ""
        self.chart_y = chart.get("y") or ""
        self.chart_color = chart.get("color") or NO_COLOUR
        self.chart_title = chart.get("title") or ""
        self.chart_figure = chart.get("figure") or {}
        self.chart_notes = [str(note) for note in chart.get("notes") or []]
        self.chart_title_key += 1

    def _chart_request(self, **changes: str) -> dict[str, Any]:
        """The type and title on screen plus what the user just changed; the service keeps the
        other columns where they fit the type, and an empty colour removes the colour."""
        wanted: dict[str, Any] = {
            "type": self.chart_type if self.chart_type in CHART_TYPES else "bar",
            "title": self.chart_title or None,
        }
        wanted.update({key: "" if value == NO_COLOUR else value for key, value in changes.items()})
        return wanted

    @rx.event
    def set_chart_type(self, chart_type: str):
        if one_of(chart_type, CHART_TYPES) is None:
            return rx.toast.error(NOT_A_COLUMN)
        return type(self).apply_chart(self._chart_request(type=chart_type))  # type: ignore[misc]

    def _pick_column(self, axis: str, column: Any, allowed: list[str]):
        if one_of(column, allowed) is None:
            return rx.toast.error(NOT_A_COLUMN)
        return type(self).apply_chart(self._chart_request(**{axis: column}))  # type: ignore[misc]

    @rx.event
    def set_chart_x(self, column: str):
        return self._pick_column("x", column, self.chart_columns)

    @rx.event
    def set_chart_y(self, column: str):
        return self._pick_column("y", column, self.chart_columns)

    @rx.event
    def set_chart_color(self, column: str):
        return self._pick_column("color", column, [NO_COLOUR, *self.chart_columns])

    @rx.event
    def submit_chart_title(self, form_data: dict):
        title = bounded_text(form_text(form_data, "chart_title"), MAX_TITLE_CHARS).strip()
        if title and title != self.chart_title:
            return type(self).apply_chart(self._chart_request(title=title))  # type: ignore[misc]
        return None

    @rx.event(background=True)
    async def apply_chart(self, wanted: dict[str, Any]):
        """Validates the choice against the query's columns, draws it and saves it on the query."""
        if not _is_chart_request(wanted):
            return rx.toast.error(NOT_A_COLUMN)
        async with self:
            query_id = self.chart_query_id
            if not query_id:
                return None
            self.chart_busy = True
            self.chart_error = ""
        chart = await self._call_service(
            lambda session, user: charts.chart_for_query(session, user, query_id, override=wanted)
        )
        if isinstance(chart, Failed):
            async with self:
                self.chart_busy = False
                self.chart_error = chart.message
            return chart.unless_shown_inline()
        async with self:
            if self.chart_query_id == query_id:
                self._show_chart(query_id, chart, self.chart_columns)
        return None
