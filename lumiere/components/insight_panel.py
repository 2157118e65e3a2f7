"""InsightPanel: the short written reading of an answer, with copy and save."""

from __future__ import annotations

import reflex as rx

from lumiere.components.a11y import card_boundary
from lumiere.components.feedback import skeleton_lines
from lumiere.components.markdown import safe_markdown_view
from lumiere.state.insights import InsightMixin


def _actions(state: type[InsightMixin]) -> rx.Component:
    return rx.hstack(
        rx.button(
            rx.icon("copy", size=14),
            "Copy",
            on_click=[rx.set_clipboard(state.insight_text), rx.toast.success("Insight copied to the clipboard.")],
            variant="soft",
            size="1",
            aria_label="Copy insight",
            disabled=state.insight_text == "",
        ),
        rx.button(
            rx.cond(state.insight_saved, rx.icon("bookmark-check", size=14), rx.icon("bookmark", size=14)),
            rx.cond(state.insight_saved, "Saved", "Save"),
            on_click=state.toggle_insight_saved,
            variant=rx.cond(state.insight_saved, "solid", "soft"),
            size="1",
            aria_pressed=rx.cond(state.insight_saved, "true", "false"),
            aria_label=rx.cond(state.insight_saved, "Unsave insight", "Save insight"),
            disabled=state.insight_id == 0,
            custom_attrs={"data-shortcut": "save-insight"},  # assets/keys.js: `s`, and Esc from the question box
        ),
        spacing="2",
    )


def insight_panel(state: type[InsightMixin]) -> rx.Component:
    return card_boundary(_insight_card(state), "insight")


def _insight_card(state: type[InsightMixin]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.hstack(
                    rx.icon("lightbulb", size=18, color=rx.color("amber", 10)),
                    rx.heading("Insight", size="4", as_="h2"),
                    align="center",
                ),
                _actions(state),
                justify="between",
                align="center",
                width="100%",
                wrap="wrap",
                spacing="2",
            ),
            rx.cond(
                state.insight_busy,
                skeleton_lines(5),
                rx.cond(
                    state.insight_error != "",
                    rx.vstack(
                        rx.callout(
                            state.insight_error, icon="triangle-alert", color_scheme="red", role="alert", size="1"
                        ),
                        rx.button("Try again", on_click=state.generate_insight, size="1", variant="soft"),
                        spacing="2",
                    ),
                    rx.box(
                        safe_markdown_view(state.insight_text),
                        id="insight-text",
                        width="100%",
                        style={"overflow_wrap": "anywhere", "& p:first-child": {"margin_top": "0"}},
                    ),
                ),
            ),
            rx.cond(
                state.insight_engine != "", rx.text(state.insight_engine, size="1", color_scheme="gray"), rx.fragment()
            ),
            spacing="3",
            width="100%",
            align="start",
        ),
        width="100%",
        min_width="0",
        role="region",
        aria_label="Insight",
    )
