"""Pieces that keep pages usable by keyboard and screen reader: the skip link, buttons that are
links (one tab stop, not a link around a button), a polite live region, and a per-card error
boundary whose fallback offers "Try again" instead of blanking the page. Styles: assets/a11y.css."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars.base import Var
from reflex_components_core.base.error_boundary import ErrorBoundary
from reflex_components_core.el.elements.inline import A
from reflex_components_core.react_router.dom import ReactRouterLink

MAIN_ID = "main-content"


def skip_link() -> rx.Component:
    """The first tab stop: moves focus past the sidebar and top bar to the page's main content.
    A plain `<a>` (rx.el.a would become a router link), focusing by script so the router never
    sees a hash change."""
    return A.create(
        "Skip to content",
        href=f"#{MAIN_ID}",
        class_name="skip-link",
        on_click=[rx.prevent_default, rx.call_script(f"document.getElementById('{MAIN_ID}')?.focus()")],
    )


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
    reset: Var = Var(_js_expr="event_args.resetErrorBoundary")  # react-error-boundary's reset, in the fallback's scope
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
