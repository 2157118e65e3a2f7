"""The "Export ▾" menu of an answer: CSV, Excel or PDF, downloaded through a signed link, or (for a
result too big to wait for) written by a job and emailed as a link."""

from __future__ import annotations

import reflex as rx

from lumiere.state.exports import ExportState

FORMATS = (("csv", "CSV", "file-text"), ("xlsx", "Excel", "file-spreadsheet"), ("pdf", "PDF", "file-type"))


def export_menu(query_id: rx.Var | int | str, *, disabled: rx.Var | bool = False, size: str = "1") -> rx.Component:
    """A menu button whose items download the answer of `query_id` in each format."""
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.icon("download", size=14),
                "Export",
                rx.icon("chevron-down", size=12),
                variant="soft",
                size=size,
                disabled=disabled,
                class_name="export-menu",
            ),
        ),
        rx.menu.content(
            *[
                rx.menu.item(
                    rx.icon(icon, size=14),
                    label,
                    on_click=ExportState.download(query_id, fmt),
                    class_name=f"export-{fmt}",
                )
                for fmt, label, icon in FORMATS
            ],
            rx.menu.separator(),
            rx.menu.sub(
                rx.menu.sub_trigger(rx.icon("mail", size=14), "Email me the file"),
                rx.menu.sub_content(
                    *[
                        rx.menu.item(label, on_click=ExportState.email_me(query_id, fmt), class_name=f"email-{fmt}")
                        for fmt, label, _icon in FORMATS
                    ],
                ),
            ),
            size="1",
        ),
    )
