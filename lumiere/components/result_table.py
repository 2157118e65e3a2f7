"""The rows of an answer: a real <table> with sortable headers, paging, row count and time."""

from __future__ import annotations

import reflex as rx

from lumiere.components.a11y import card_boundary
from lumiere.components.feedback import page_arrow, table_caption
from lumiere.state.result_table import PAGE_SIZES, ColumnHeader, ResultTableMixin


def _sort_icon(state: type[ResultTableMixin], index: rx.Var[int]) -> rx.Component:
    return rx.cond(
        state.sort_column == index,
        rx.cond(state.sort_descending, rx.icon("arrow-down", size=14), rx.icon("arrow-up", size=14)),
        rx.icon("arrow-up-down", size=14, opacity="0.35"),
    )


def _header_cell(state: type[ResultTableMixin], column: rx.Var[ColumnHeader], index: rx.Var[int]) -> rx.Component:
    sorted_here = state.sort_column == index
    return rx.table.column_header_cell(
        rx.el.button(
            rx.hstack(
                rx.vstack(
                    rx.text(column.label, weight="bold", size="2"),
                    rx.text(  # the name to use in SQL stays visible under the words
                        rx.cond(column.label != column.name, column.name + " · " + column.type, column.type),
                        size="1",
                        color_scheme="gray",
                        weight="regular",
                        font_family=rx.cond(column.label != column.name, "var(--code-font-family)", "inherit"),
                    ),
                    spacing="0",
                    align="start",
                ),
                _sort_icon(state, index),
                align="center",
                spacing="2",
            ),
            on_click=state.sort_by(index),
            type="button",
            title="Sort by " + column.label + " (" + column.name + " in SQL)",
            style={"background": "none", "border": "none", "cursor": "pointer", "color": "inherit", "padding": "0"},
        ),
        aria_sort=rx.cond(sorted_here, rx.cond(state.sort_descending, "descending", "ascending"), "none"),
        white_space="nowrap",
    )


def _row(state: type[ResultTableMixin], row: rx.Var[list[str]]) -> rx.Component:
    return rx.table.row(
        rx.foreach(
            row,
            lambda cell, index: rx.table.cell(
                cell,
                text_align=rx.cond(state.numeric_columns[index], "right", "left"),
                color=rx.cond(cell == "NULL", rx.color("gray", 9), "inherit"),
                white_space="nowrap",
                max_width="24rem",
                overflow="hidden",
                text_overflow="ellipsis",
                title=cell,
            ),
        ),
    )


def _pager(state: type[ResultTableMixin]) -> rx.Component:
    return rx.flex(
        rx.text(state.shown_rows_label, size="2", color_scheme="gray"),
        rx.hstack(
            rx.el.label("Rows per page", html_for="table-page-size", style={"font_size": "0.85rem"}),
            rx.select(
                list(PAGE_SIZES),
                value=state.table_page_size,
                on_change=state.set_table_page_size,
                size="1",
                id="table-page-size",
            ),
            page_arrow("left", state.go_to_table_page(state.table_page - 1), state.table_page <= 1, "Previous page"),
            rx.text(state.table_page, " / ", state.table_page_count, size="2", aria_live="polite"),
            page_arrow(
                "right",
                state.go_to_table_page(state.table_page + 1),
                state.table_page >= state.table_page_count,
                "Next page",
            ),
            align="center",
            spacing="2",
        ),
        justify="between",
        align="center",
        wrap="wrap",
        spacing="2",
        width="100%",
    )


def result_summary(state: type[ResultTableMixin]) -> rx.Component:
    return rx.hstack(
        rx.badge(rx.icon("rows-3", size=12), state.row_count_label, variant="soft"),
        rx.badge(
            rx.icon("timer", size=12), state.result_duration_ms.to_string() + " ms", variant="soft", color_scheme="gray"
        ),
        rx.cond(
            state.result_truncated,
            rx.badge("Only the first rows are shown", color_scheme="amber", variant="soft"),
            rx.fragment(),
        ),
        spacing="2",
        wrap="wrap",
    )


def result_table(state: type[ResultTableMixin], caption: str = "Query results") -> rx.Component:
    return card_boundary(_table(state, caption), "table")


def _table(state: type[ResultTableMixin], caption: str) -> rx.Component:
    return rx.vstack(
        rx.box(
            rx.table.root(
                table_caption(caption),
                rx.table.header(
                    rx.table.row(
                        rx.foreach(state.result_columns, lambda column, index: _header_cell(state, column, index))
                    ),
                ),
                rx.table.body(rx.foreach(state.page_rows, lambda row: _row(state, row))),
                variant="surface",
                size="1",
                width="100%",
            ),
            width="100%",
            overflow_x="auto",
        ),
        _pager(state),
        spacing="2",
        width="100%",
    )
