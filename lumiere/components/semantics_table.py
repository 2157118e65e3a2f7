""""Meaning of columns": the source's semantic layer as one form, a row per column.

Every field is pre-filled with what Lumiere inferred or what the user saved (the badge says
which); one Save sends the changed columns, Reset puts one column back to what is inferred.
"""

from __future__ import annotations

import reflex as rx

from lumiere.components.feedback import skeleton_lines, table_caption
from lumiere.components.forms import form_error
from lumiere.state.data_detail import MeaningRow, SourceDetailState

_HEADERS = ("Column", "Type", "Description", "Synonyms", "Unit", "Value meanings", "Status")


def _field(row: MeaningRow, name: str, value: rx.Var[str], label: str, placeholder: str, width: str) -> rx.Component:
    return rx.input(
        name=name + "-" + row.key,
        default_value=value,
        aria_label=label + " of " + row.column,
        placeholder=placeholder,
        size="1",
        min_width=width,
        width="100%",
        read_only=~SourceDetailState.can_change,
    )


def _meaning_row(row: MeaningRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.code(row.column, variant="ghost", weight="medium"), white_space="nowrap"),
        rx.table.cell(row.type, color=rx.color("gray", 11), white_space="nowrap"),
        rx.table.cell(_field(row, "description", row.description, "Description", "What this column holds", "12rem")),
        rx.table.cell(_field(row, "synonyms", row.synonyms, "Synonyms", "comma-separated", "9rem")),
        rx.table.cell(_field(row, "unit", row.unit, "Unit", "$, %, kg", "4rem")),
        rx.table.cell(_field(row, "value_text", row.value_text, "Value meanings", "Mon = Monday; F = female", "11rem")),
        rx.table.cell(
            rx.cond(
                row.edited,
                rx.vstack(
                    rx.badge("edited", color_scheme="blue", variant="soft"),
                    rx.cond(
                        SourceDetailState.can_change,
                        rx.button(
                            "Reset",
                            type="button",
                            size="1",
                            variant="ghost",
                            aria_label="Reset " + row.column + " to what is inferred",
                            on_click=SourceDetailState.reset_meaning(row.key),
                        ),
                        rx.fragment(),
                    ),
                    align="start",
                    spacing="1",
                ),
                rx.badge("inferred", color_scheme="gray", variant="soft"),
            ),
            white_space="nowrap",
        ),
        align="center",
    )


def semantics_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Meaning of columns", size="4", as_="h2"),
            rx.text(
                "Describe each column in your own words, give other names people use for it, its unit, and what "
                "coded values stand for. Both question engines read this. Fields start with what Lumiere inferred.",
                size="2",
                color_scheme="gray",
            ),
            form_error(SourceDetailState.meanings_error),
            rx.cond(
                SourceDetailState.meanings_loading & (SourceDetailState.meaning_rows.length() == 0),
                skeleton_lines(4),
                rx.form(
                    rx.box(
                        rx.table.root(
                            table_caption("Meaning of columns"),
                            rx.table.header(
                                rx.table.row(*[rx.table.column_header_cell(label) for label in _HEADERS]),
                            ),
                            rx.table.body(rx.foreach(SourceDetailState.meaning_rows, _meaning_row)),
                            variant="surface",
                            size="1",
                        ),
                        width="100%",
                        overflow_x="auto",
                    ),
                    rx.cond(
                        SourceDetailState.can_change,
                        rx.hstack(
                            rx.button(rx.icon("save", size=16), "Save meanings", type="submit"),
                            justify="end",
                            width="100%",
                            padding_top="0.75rem",
                        ),
                        rx.fragment(),
                    ),
                    on_submit=SourceDetailState.save_meanings,
                    key=SourceDetailState.meanings_version,
                    width="100%",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )
