"""The "Pin to dashboard" button of an answer (Ask, History, Saved insights)."""

from __future__ import annotations

import reflex as rx

from lumiere.state.pins import PinState


def pin_button(query_id: rx.Var | int | str, *, disabled: rx.Var | bool = False, size: str = "1") -> rx.Component:
    return rx.button(
        rx.icon("pin", size=14),
        "Pin to dashboard",
        on_click=PinState.pin(query_id),
        variant="soft",
        size=size,
        disabled=disabled,
        class_name="pin-button",
    )
