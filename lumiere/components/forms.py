"""Form fields with a visible label tied to the input, and an inline error under it."""

from __future__ import annotations

from typing import Any

import reflex as rx


def field_label(text: str, for_id: str, *, font_size: str = "0.875rem") -> rx.Component:
    """A visible label tied to its control by id, so a click or a screen reader finds the field."""
    return rx.el.label(text, html_for=for_id, style={"font_weight": "500", "font_size": font_size})


def labelled_input(
    label: str,
    name: str,
    error: rx.Var[str] | str = "",
    *,
    input_type: str = "text",
    autocomplete: str | None = None,
    placeholder: str = "",
    default_value: rx.Var[str] | str | None = None,
    required: bool = True,
) -> rx.Component:
    field_id = f"field-{name}"
    error_id = f"{field_id}-error"
    extra = {"default_value": default_value} if default_value is not None else {}
    return rx.vstack(
        field_label(label, field_id),
        rx.input(
            id=field_id,
            name=name,
            type=input_type,
            auto_complete=autocomplete,
            placeholder=placeholder,
            required=required,
            size="3",
            width="100%",
            aria_describedby=error_id,
            aria_invalid=rx.cond(error != "", "true", "false"),
            **extra,
        ),
        rx.cond(
            error != "",
            rx.text(error, id=error_id, color_scheme="red", size="2", role="alert"),
            rx.fragment(),
        ),
        spacing="1",
        width="100%",
        align="start",
    )


def form_error(message: rx.Var[str]) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle-alert", color_scheme="red", role="alert", width="100%"),
        rx.fragment(),
    )


def source_select(
    select_id: str, options: rx.Var, value: rx.Var[str], on_change: Any, *, min_width: str
) -> rx.Component:
    """The picker of the user's data sources ("tips · CSV"), shared by the Ask and Chat pages."""
    return rx.select.root(
        rx.select.trigger(id=select_id, placeholder="Choose a data source", min_width=min_width),
        rx.select.content(
            rx.foreach(options, lambda option: rx.select.item(option.name + " · " + option.kind, value=option.id)),
        ),
        value=value,
        on_change=on_change,
    )
