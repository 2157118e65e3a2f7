"""Pieces that keep pages usable by keyboard and screen reader: the skip link, buttons that are
links (one tab stop, not a link around a button), a polite live region, and a per-card error
boundary whose fallback offers "Try again" instead of blanking the page. Styles: assets/a11y.css."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars.base import Var
from reflex_components_core.base.error_boundary import ErrorBoundary
from reflex_components_core.react_router.dom import ReactRouterLink

MAIN_ID = "main-content"


def skip_link() -> rx.Component:
    """The first tab stop: jumps past the sidebar and top bar to the page's main content."""
    return rx.el.a("Skip to content", href=f"#{MAIN_ID}", class_name="skip-link")


def main_landmark(*children: rx.Component, **props: Any) -> rx.Component:
    """The page's one `main`: the skip link's target, focusable by script but not a tab stop."""
    return rx.el.main(*children, id=MAIN_ID, tab_index=-1, **props)


def link_button(*children: rx.Component | str, href: str | rx.Var[str], **button_props: Any) -> rx.Component:
    """A button-looking link: Radix's Button renders its styles onto the router's `<a>` (asChild),
    so it is one focusable element with the link role and client-side navigation."""
    return rx.button(ReactRouterLink.create(*children, to=href), as_child=True, **button_props)


def announcer(message: rx.Var[str] | str) -> rx.Component:
    """A live region present from the start (so changes are announced), seen only by screen readers."""
    return rx.el.div(message, aria_live="polite", role="status", class_name="sr-only")


def _fallback(what: str) -> rx.Component:
    reset = Var(_js_expr="event_args.resetErrorBoundary")
    return rx.callout.root(
        rx.callout.icon(rx.icon("triangle-alert")),
        rx.callout.text(
            rx.text(f"The {what} could not be shown.", weight="bold"),
            rx.text("The rest of the page still works. Try again, or reload the page if this repeats."),
        ),
        rx.el.button(
            "Try again",
            class_name="rt-reset rt-BaseButton rt-r-size-1 rt-variant-soft rt-Button",
            custom_attrs={"onClick": reset},
            type="button",
        ),
        color_scheme="red",
        role="alert",
        width="100%",
    )


def card_boundary(child: rx.Component, what: str) -> rx.Component:
    """Catches a rendering error in one card (`what`: "chart", "table"…) so the page around it lives on."""
    return ErrorBoundary.create(child, fallback_render=_fallback(what))
