"""Paging and sorting of a result's rows, kept on the server so only one page reaches the browser.

A mixin: any page state that shows a ResultSet (query page now, chat later) gets the same table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import reflex as rx

from lumiere.core.labels import column_labels
from lumiere.core.resultset import ResultColumn
from lumiere.core.text import plural
from lumiere.services.result_units import header_label
from lumiere.state.arguments import NOT_A_PAGE, clamped, one_of, whole_number

PAGE_SIZES = ("25", "50", "100")
MAX_CELL_CHARS = 300
NUMERIC_KINDS = ("integer", "number")


def format_cell(value: Any) -> str:
    """How a value reads in the table: thousands separators from 10,000, no float noise, NULL spelled out."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)  # years and small codes read better bare
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        text = (f"{value:,.4f}" if abs(value) >= 10_000 else f"{value:.4f}").rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    text = str(value)
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "…"


def sort_key(value: Any) -> tuple:
    """NULLs last, numbers before text, so that mixed columns still sort without errors."""
    if value is None:
        return (2, 0, "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value, "")
    return (1, 0, str(value).lower())


def sorted_rows(rows: list[list[Any]], column: int, descending: bool) -> list[list[Any]]:
    if column < 0:
        return rows
    present = [row for row in rows if row[column] is not None]
    missing = [row for row in rows if row[column] is None]
    return sorted(present, key=lambda row: sort_key(row[column]), reverse=descending) + missing


@dataclass(frozen=True)
class ColumnHeader:
    """A result column's header: its name, SQL type and kind (the kind right-aligns numbers), and
    the label shown, which carries the unit of its numbers ("amount ($)")."""

    name: str
    type: str
    kind: str
    unit: str = ""
    label: str = ""


class ResultTableMixin(rx.State, mixin=True):
    """The rows of the answer on screen; `_rows` never leaves the server, `page_rows` does."""

    result_columns: list[ColumnHeader] = []
    page_rows: list[list[str]] = []
    result_row_count: int = 0
    result_truncated: bool = False
    result_duration_ms: int = 0
    sort_column: int = -1
    sort_descending: bool = False
    table_page: int = 1
    table_page_size: str = "25"
    _rows: list[list[Any]] = []
    _sorted: list[list[Any]] = []

    @rx.var
    def numeric_columns(self) -> list[bool]:
        return [column.kind in NUMERIC_KINDS for column in self.result_columns]

    @rx.var
    def table_page_count(self) -> int:
        return max(1, math.ceil(len(self._rows) / int(self.table_page_size)))

    @rx.var
    def row_count_label(self) -> str:
        """All the rows the query returns (the table may hold fewer when the result was capped)."""
        return plural(self.result_row_count, "row")

    @rx.var
    def shown_rows_label(self) -> str:
        total = len(self._rows)
        if total == 0:
            return "No rows"
        size = int(self.table_page_size)
        first = (self.table_page - 1) * size + 1
        last = min(total, self.table_page * size)
        return f"Rows {first:,}-{last:,} of {total:,}"

    def _show_result(
        self,
        columns: list[ResultColumn],
        rows: list[list[Any]],
        row_count: int,
        truncated: bool,
        duration_ms: int,
        sql: str = "",
    ) -> None:
        """Headers in words ("Average price", from the SQL when given), the SQL name kept under them."""
        words = column_labels(sql, [column.name for column in columns])
        self.result_columns = [
            ColumnHeader(
                name=column.name,
                type=column.type,
                kind=column.kind,
                unit=column.unit or "",
                label=header_label(words[column.name], column.unit),
            )
            for column in columns
        ]
        self._rows = rows
        self._sorted = rows
        self.result_row_count = row_count
        self.result_truncated = truncated
        self.result_duration_ms = duration_ms
        self.sort_column = -1
        self.sort_descending = False
        self.table_page = 1
        self._refresh_page()

    def _clear_result(self) -> None:
        self._show_result([], [], 0, False, 0)

    def _refresh_page(self) -> None:
        size = int(self.table_page_size)
        start = (self.table_page - 1) * size
        self.page_rows = [[format_cell(value) for value in row] for row in self._sorted[start : start + size]]

    @rx.event
    def sort_by(self, column: int):
        """First click sorts ascending, the second descending, the third restores the query's order."""
        index = whole_number(column)
        if index is None or not 0 <= index < len(self.result_columns):
            return rx.toast.error("Sort by clicking a column's header.")
        column = index
        if column != self.sort_column:
            self.sort_column, self.sort_descending = column, False
        elif not self.sort_descending:
            self.sort_descending = True
        else:
            self.sort_column, self.sort_descending = -1, False
        self._sorted = sorted_rows(self._rows, self.sort_column, self.sort_descending)
        self.table_page = 1
        self._refresh_page()
        return None

    @rx.event
    def go_to_table_page(self, page: int):
        wanted = clamped(page, 1, self.table_page_count)
        if wanted is None:
            return rx.toast.error(NOT_A_PAGE)
        self.table_page = wanted
        self._refresh_page()
        return None

    @rx.event
    def set_table_page_size(self, size: str):
        if one_of(size, PAGE_SIZES) is not None:
            self.table_page_size = size
            self.table_page = 1
            self._refresh_page()
