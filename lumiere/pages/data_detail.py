"""/data/[source_id]: one source's schema, a paged preview, the column profile, the meaning of its
columns and suggested questions."""

from __future__ import annotations

import reflex as rx

from lumiere import routes
from lumiere.components.a11y import link_button
from lumiere.components.feedback import confirm_dialog, not_found_state, page_arrow, skeleton_lines, table_caption
from lumiere.components.layout import app_shell, page_header
from lumiere.components.semantics_table import semantics_card
from lumiere.state.data_detail import SourceDetailState


def _fact(label: str, value: rx.Var[str]) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color_scheme="gray"),
        rx.text(value, weight="medium"),
        spacing="0",
    )


def summary_card() -> rx.Component:
    summary = SourceDetailState.detail_summary
    return rx.card(
        rx.grid(
            _fact("Kind", summary.kind),
            _fact("Rows", summary.rows),
            _fact("Columns", summary.columns),
            _fact("Size", summary.size),
            _fact("Created", summary.created),
            columns=rx.breakpoints(initial="2", sm="3", md="5"),
            spacing="4",
            width="100%",
        ),
        width="100%",
    )


def schema_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Schema", size="4", as_="h2"),
            rx.foreach(
                SourceDetailState.detail_tables,
                lambda table: rx.vstack(
                    rx.hstack(
                        rx.icon("table-2", size=16),
                        rx.code(table.name, variant="ghost", weight="bold"),
                        rx.cond(
                            table.row_count != "",
                            rx.text(table.row_count, size="1", color_scheme="gray"),
                            rx.fragment(),
                        ),
                        align="center",
                        spacing="2",
                    ),
                    rx.flex(
                        rx.foreach(
                            table.columns,
                            lambda column: rx.badge(
                                rx.text(column.name, weight="medium"),
                                rx.text(column.type, color_scheme="gray"),
                                variant="surface",
                                color_scheme="gray",
                                size="2",
                            ),
                        ),
                        spacing="2",
                        wrap="wrap",
                    ),
                    spacing="2",
                    width="100%",
                    aria_label="Schema",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def suggestions_card() -> rx.Component:
    return rx.cond(
        SourceDetailState.detail_suggestions.length() > 0,
        rx.card(
            rx.vstack(
                rx.heading("Suggested questions", size="4", as_="h2"),
                rx.flex(
                    rx.foreach(
                        SourceDetailState.detail_suggestions,
                        lambda suggestion: link_button(
                            rx.icon("sparkle", size=12),
                            suggestion.question,
                            variant="surface",
                            size="1",
                            radius="full",
                            style={"height": "auto", "white_space": "normal", "padding_y": "0.3rem"},
                            href=suggestion.href,
                        ),
                    ),
                    spacing="2",
                    wrap="wrap",
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
        rx.fragment(),
    )


def preview_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.heading("Preview", size="4", as_="h2"),
                rx.hstack(
                    rx.text(SourceDetailState.preview_label, size="2", color_scheme="gray"),
                    page_arrow(
                        "left", SourceDetailState.previous_rows, ~SourceDetailState.has_previous_rows, "Previous rows"
                    ),
                    page_arrow("right", SourceDetailState.next_rows, ~SourceDetailState.has_more_rows, "Next rows"),
                    align="center",
                    spacing="2",
                ),
                justify="between",
                align="center",
                width="100%",
                wrap="wrap",
            ),
            rx.cond(
                SourceDetailState.preview_error != "",
                rx.callout(SourceDetailState.preview_error, icon="triangle-alert", color_scheme="red", role="alert"),
                rx.box(
                    rx.table.root(
                        table_caption("Preview rows"),
                        rx.table.header(
                            rx.table.row(
                                rx.foreach(
                                    SourceDetailState.preview_columns,
                                    lambda name: rx.table.column_header_cell(name, white_space="nowrap"),
                                )
                            ),
                        ),
                        rx.table.body(
                            rx.foreach(
                                SourceDetailState.preview_rows,
                                lambda row: rx.table.row(
                                    rx.foreach(
                                        row,
                                        lambda cell: rx.table.cell(
                                            cell,
                                            white_space="nowrap",
                                            max_width="20rem",
                                            overflow="hidden",
                                            text_overflow="ellipsis",
                                        ),
                                    )
                                ),
                            ),
                        ),
                        variant="surface",
                        size="1",
                        opacity=rx.cond(SourceDetailState.preview_loading, "0.5", "1"),
                    ),
                    width="100%",
                    overflow_x="auto",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def profile_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Column profile", size="4", as_="h2"),
            rx.cond(
                SourceDetailState.profile_loading,
                skeleton_lines(4),
                rx.box(
                    rx.table.root(
                        table_caption("Column profile"),
                        rx.table.header(
                            rx.table.row(
                                *[
                                    rx.table.column_header_cell(label)
                                    for label in ("Column", "Type", "Nulls", "Distinct", "Values")
                                ]
                            ),
                        ),
                        rx.table.body(
                            rx.foreach(
                                SourceDetailState.profile_rows,
                                lambda row: rx.table.row(
                                    rx.table.row_header_cell(row.column, white_space="nowrap"),
                                    rx.table.cell(row.type, color=rx.color("gray", 11)),
                                    rx.table.cell(row.nulls, text_align="right"),
                                    rx.table.cell(row.distinct, text_align="right"),
                                    rx.table.cell(row.summary, min_width="16rem"),
                                ),
                            ),
                        ),
                        variant="surface",
                        size="1",
                    ),
                    width="100%",
                    overflow_x="auto",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def delete_dialog() -> rx.Component:
    return confirm_dialog(
        open_=SourceDetailState.confirming_delete,
        title="Delete this data source?",
        description="'" + SourceDetailState.detail_name + "' and its stored data will be removed. "
        "Questions you asked about it stay in your history.",
        confirm_label="Delete source",
        on_confirm=SourceDetailState.confirm_delete,
        on_cancel=SourceDetailState.cancel_delete,
    )


def move_card() -> rx.Component:
    """Where the source lives, for those the policy lets move it: Personal or a workspace they may add to."""
    return rx.cond(
        SourceDetailState.move_options.length() > 0,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.text("Move to workspace", weight="medium", as_="label", html_for="move-to"),
                    rx.select.root(
                        rx.select.trigger(id="move-to", aria_label="Move to workspace", min_width="12rem"),
                        rx.select.content(
                            rx.foreach(
                                SourceDetailState.move_options,
                                lambda option: rx.select.item(option.name, value=option.value),
                            ),
                        ),
                        value=SourceDetailState.space,
                        on_change=SourceDetailState.move_to,
                        disabled=SourceDetailState.moving,
                    ),
                    align="center",
                    spacing="3",
                    wrap="wrap",
                ),
                rx.cond(
                    SourceDetailState.move_error != "",
                    rx.callout(SourceDetailState.move_error, icon="triangle-alert", color_scheme="red", role="alert"),
                    rx.fragment(),
                ),
                spacing="2",
                width="100%",
            ),
            width="100%",
        ),
        rx.fragment(),
    )


def found_content() -> rx.Component:
    return rx.vstack(
        page_header(
            SourceDetailState.detail_name,
            SourceDetailState.detail_kind + " data source",
            link_button(
                rx.icon("message-circle-question", size=16),
                "Ask about this data",
                href=routes.ask_url(SourceDetailState.detail_id),
            ),
            rx.cond(
                SourceDetailState.can_delete,
                rx.button(
                    rx.icon("trash-2", size=16),
                    "Delete source",
                    color_scheme="red",
                    variant="soft",
                    on_click=SourceDetailState.ask_delete,
                ),
                rx.fragment(),
            ),
        ),
        summary_card(),
        move_card(),
        rx.foreach(SourceDetailState.detail_notes, lambda note: rx.callout(note, icon="info", size="1", width="100%")),
        suggestions_card(),
        schema_card(),
        preview_card(),
        profile_card(),
        semantics_card(),
        delete_dialog(),
        spacing="4",
        width="100%",
    )


def detail_content() -> rx.Component:
    return rx.cond(
        SourceDetailState.loaded,
        rx.cond(
            SourceDetailState.found, found_content(), not_found_state("Data source", "Back to Data", routes.DATA.path)
        ),
        skeleton_lines(6, "2rem"),
    )


def data_detail_page() -> rx.Component:
    return app_shell("Data source", detail_content)
