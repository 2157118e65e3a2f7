"""What every Settings section shares: a titled card with an anchor, and inline field errors."""

from __future__ import annotations

import reflex as rx


def settings_section(
    anchor: str, title: str, description: str, *children: rx.Component, **props: object
) -> rx.Component:
    """A section of /settings; `anchor` is its id, so /settings#<anchor> links straight to it."""
    heading_id = f"{anchor}-heading"
    return rx.card(
        rx.vstack(
            rx.heading(title, size="4", as_="h2", id=heading_id),
            rx.text(description, color_scheme="gray", size="2"),
            *children,
            spacing="3",
            align="start",
            width="100%",
        ),
        id=anchor,
        aria_labelledby=heading_id,
        role="region",
        width="100%",
        style={"scroll_margin_top": "5rem"},
        **props,
    )


def field_error(field: str, state_field: rx.Var[str], message: rx.Var[str]) -> rx.Var[str]:
    """The message when it is about `field`, else nothing."""
    return rx.cond(state_field == field, message, "")


def form_level_error(message: rx.Var[str], field: rx.Var[str]) -> rx.Component:
    """A message that names no field of the form, under the form."""
    return rx.cond(
        (message != "") & (field == ""), rx.text(message, color_scheme="red", size="2", role="alert"), rx.fragment()
    )
