"""Read-only SQL with syntax highlighting (light and dark themes) and a copy button."""

from __future__ import annotations

import reflex as rx


def sql_block(sql: rx.Var[str], label: str = "Generated SQL") -> rx.Component:
    return rx.box(
        rx.code_block(
            sql,
            language="sql",
            wrap_long_lines=True,
            font_size="0.85rem",
            margin="0",
            border_radius="var(--radius-3)",
            border=f"1px solid {rx.color('gray', 5)}",
            padding="1rem 3rem 1rem 1rem",
        ),
        rx.box(
            rx.icon_button(
                rx.icon("copy", size=14),
                on_click=[rx.set_clipboard(sql), rx.toast.success("SQL copied to the clipboard.")],
                variant="soft",
                size="1",
                aria_label="Copy SQL",
                title="Copy SQL",
                type="button",
            ),
            position="absolute",
            top="0.5rem",
            right="0.5rem",
        ),
        position="relative",
        width="100%",
        aria_label=label,
        role="region",
    )
