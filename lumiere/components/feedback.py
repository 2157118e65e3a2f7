"""Small shared pieces: empty states, not-found states, skeletons, error callouts, confirmations, page arrows."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from lumiere import routes

# What a workspace viewer sees where others are offered "add data" buttons.
VIEWER_NO_DATA = (
    "This workspace has no data yet. As a viewer you can ask over its sources; an editor or admin adds them."
)


def empty_state(icon: str, title: str, body: str | rx.Var[str], *actions: rx.Component) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.icon(icon, size=40, color=rx.color("accent", 9)),
            rx.heading(title, size="5", as_="h2"),
            rx.text(body, color_scheme="gray", text_align="center", max_width="34rem"),
            rx.hstack(*actions, spacing="3", wrap="wrap", justify="center"),
            align="center",
            spacing="3",
            padding="2rem",
        ),
        width="100%",
    )


def not_found_state(what: str, back_label: str, back_href: str) -> rx.Component:
    return empty_state(
        "search-x",
        f"{what} not found",
        f"There is no {what.lower()} with this id in your account. It may have been deleted.",
        rx.link(rx.button(rx.icon("arrow-left", size=16), back_label, variant="soft"), href=back_href),
    )


def plans_link(shown: rx.Var[bool]) -> rx.Component:
    """Under a plan limit's message: the way to more."""
    return rx.cond(
        shown,
        rx.link(rx.hstack(rx.icon("gem", size=14), rx.text("See plans and usage"), spacing="1", align="center"),
                href=routes.SETTINGS_PLAN, size="2", weight="medium"),
        rx.fragment(),
    )


def error_callout(
    message: rx.Var[str], title: str = "Something went wrong", limit_reached: rx.Var[bool] | None = None
) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("triangle-alert")),
            rx.callout.text(
                rx.text(title, weight="bold"),
                rx.text(message),
                plans_link(limit_reached) if limit_reached is not None else rx.fragment(),
            ),
            color_scheme="red",
            role="alert",
            width="100%",
        ),
        rx.fragment(),
    )


def table_caption(text: str) -> rx.Component:
    """A caption screen readers announce (and that names the table), hidden from sight."""
    return rx.el.caption(
        text,
        style={
            "position": "absolute",
            "width": "1px",
            "height": "1px",
            "overflow": "hidden",
            "clip": "rect(0 0 0 0)",
            "white_space": "nowrap",
        },
    )


def skeleton_lines(count: int = 4, height: str = "1.25rem") -> rx.Component:
    return rx.vstack(
        *[rx.skeleton(rx.box(height=height, width="100%"), loading=True) for _ in range(count)],
        spacing="2",
        width="100%",
        aria_busy="true",
        aria_label="Loading",
    )


def confirm_dialog(
    *,
    open_: rx.Var[bool],
    title: str,
    description: rx.Var[str] | str,
    confirm_label: str,
    on_confirm: rx.EventHandler,
    on_cancel: rx.EventHandler,
) -> rx.Component:
    """A blocking yes/no question for destructive actions; Escape or Cancel keeps everything."""
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray", on_click=on_cancel)),
                rx.alert_dialog.action(rx.button(confirm_label, color_scheme="red", on_click=on_confirm)),
                spacing="3",
                justify="end",
                margin_top="1rem",
            ),
            on_escape_key_down=on_cancel,
        ),
        open=open_,
    )


def page_arrow(direction: str, on_click: EventSpec, disabled: rx.Var[bool], label: str) -> rx.Component:
    """One of the previous/next buttons every paged list has (`direction`: left or right)."""
    return rx.icon_button(
        rx.icon(f"chevron-{direction}", size=16),
        on_click=on_click,
        disabled=disabled,
        variant="soft",
        size="1",
        aria_label=label,
    )
