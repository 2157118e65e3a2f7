"""ChartViewer's state: the answer's chart and the user's changes to it, saved with the query.

A mixin, so the chat and dashboards can show the same viewer for their own answers.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from lumiere.charts import CHART_TYPES
from lumiere.services import charts
from lumiere.services.errors import ServiceError
from lumiere.state.service_calls import in_thread

SWITCHABLE_TYPES = ("bar", "line", "area", "pie", "scatter", "histogram")
NO_COLOUR = "(none)"


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
        if chart_type in CHART_TYPES:
            return type(self).apply_chart(self._chart_request(type=chart_type))
        return None

    @rx.event
    def set_chart_x(self, column: str):
        return type(self).apply_chart(self._chart_request(x=column))

    @rx.event
    def set_chart_y(self, column: str):
        return type(self).apply_chart(self._chart_request(y=column))

    @rx.event
    def set_chart_color(self, column: str):
        return type(self).apply_chart(self._chart_request(color=column))

    @rx.event
    def submit_chart_title(self, form_data: dict):
        title = str(form_data.get("chart_title", "")).strip()
        if title and title != self.chart_title:
            return type(self).apply_chart(self._chart_request(title=title))
        return None

    @rx.event(background=True)
    async def apply_chart(self, wanted: dict[str, Any]):
        """Validates the choice against the query's columns, draws it and saves it on the query."""
        async with self:
            user = self._authorized_user()
            if user is None:
                return self._login_redirect()
            query_id = self.chart_query_id
            if not query_id:
                return None
            self.chart_busy = True
            self.chart_error = ""
        try:
            chart = await in_thread(
                user.id,
                lambda session, user: charts.chart_for_query(session, user, query_id, override=wanted),
            )
        except ServiceError as error:
            async with self:
                self.chart_busy = False
                self.chart_error = error.detail
            return None
        async with self:
            if self.chart_query_id == query_id:
                self._show_chart(query_id, chart, self.chart_columns)
        return None
