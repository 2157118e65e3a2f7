"""/s/{token}: one shared answer, read-only, for anyone with the link: Lumiere's look, no app
navigation, readable on a phone."""

from __future__ import annotations

import reflex as rx
from plotly.graph_objs import Figure
from plotly.io import templates

from lumiere.components.chart_viewer import DARK_LAYOUT, LIGHT_LAYOUT
from lumiere.components.layout import brand
from lumiere.components.markdown import safe_markdown_view
from lumiere.components.result_table import result_table
from lumiere.state.shared_answer import LIMITED, LOADING, MISSING, SHOWN, SharedAnswerState

State = SharedAnswerState


def _header() -> rx.Component:
    return rx.hstack(
        rx.link(brand(), href="/", underline="none", color="inherit", aria_label="Lumiere"),
        rx.color_mode.button(aria_label="Toggle dark mode", variant="ghost"),
        justify="between",
        align="center",
        width="100%",
        padding_x=["1rem", "1.5rem", "2rem"],
        padding_y="0.75rem",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 1),
        role="banner",
    )


def _footer() -> rx.Component:
    return rx.center(
        rx.hstack(
            rx.icon("sparkles", size=14, color=rx.color("accent", 9)),
            rx.text("Shared with Lumiere", size="2", color_scheme="gray"),
            spacing="2",
            align="center",
        ),
        padding="1.5rem",
        width="100%",
        role="contentinfo",
        class_name="shared-footer",
    )


def _chart() -> rx.Component:
    return rx.cond(
        State.has_chart,
        rx.card(
            rx.plotly(
                data=State.chart_figure.to(Figure),
                layout=rx.color_mode_cond(light=LIGHT_LAYOUT, dark=DARK_LAYOUT),
                template=rx.color_mode_cond(light=templates["plotly_white"], dark=templates["plotly_dark"]),
                config={"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["sendDataToCloud"]},
                use_resize_handler=True,
                width="100%",
                height=["18rem", "22rem", "26rem"],
            ),
            width="100%",
            class_name="shared-chart",
        ),
        rx.fragment(),
    )


def _insight() -> rx.Component:
    return rx.cond(
        State.insight != "",
        rx.card(
            rx.vstack(
                rx.hstack(rx.icon("lightbulb", size=16, color=rx.color("accent", 9)),
                          rx.heading("Insight", size="3", as_="h2"), spacing="2", align="center"),
                safe_markdown_view(State.insight),
                spacing="2",
                width="100%",
            ),
            width="100%",
            class_name="shared-insight",
        ),
        rx.fragment(),
    )


def _answer() -> rx.Component:
    return rx.vstack(
        rx.heading(
            State.question, size="7", as_="h1", class_name="shared-question", style={"overflow_wrap": "anywhere"}
        ),
        rx.hstack(
            rx.badge(rx.icon("clock", size=12), "as of ", State.as_of, variant="soft", color_scheme="gray"),
            rx.badge(rx.icon("database", size=12), State.source_name, variant="soft"),
            rx.badge(rx.icon("rows-3", size=12), State.row_count_label, variant="soft", color_scheme="gray"),
            spacing="2",
            wrap="wrap",
        ),
        _chart(),
        _insight(),
        rx.card(
            rx.vstack(
                rx.cond(State.rows_note != "", rx.text(State.rows_note, size="2", color_scheme="gray"), rx.fragment()),
                result_table(State, caption="The shared answer's rows"),
                spacing="2",
                width="100%",
            ),
            width="100%",
            class_name="shared-table",
        ),
        spacing="4",
        width="100%",
    )


def _notice(icon: str, title: str, body: rx.Var[str] | str) -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(
                rx.icon(icon, size=40, color=rx.color("accent", 9)),
                rx.heading(title, size="5", as_="h1", text_align="center"),
                rx.text(body, color_scheme="gray", text_align="center"),
                rx.link("Go to Lumiere", href="/", size="2"),
                align="center",
                spacing="3",
                padding="1.5rem",
            ),
            max_width="30rem",
            width="100%",
            class_name="shared-gone",
        ),
        width="100%",
        padding_y="3rem",
    )


def _body() -> rx.Component:
    return rx.match(
        State.status,
        (LOADING, rx.center(rx.spinner(size="3"), padding="4rem", aria_label="Loading")),
        (SHOWN, _answer()),
        (MISSING, _notice("link-2-off", "This link has expired or was revoked",
                          "Ask the person who shared it for a new link.")),
        (LIMITED, _notice("hourglass", "Too many requests", State.message)),
        _notice("triangle-alert", "This answer cannot be shown right now", State.message),
    )


def shared_answer_page() -> rx.Component:
    return rx.vstack(
        _header(),
        rx.box(_body(), as_="main", width="100%", max_width="64rem", padding=["0.75rem", "1.5rem", "2rem"]),
        _footer(),
        spacing="0",
        align="center",
        width="100%",
        min_height="100vh",
        background=rx.color("gray", 2),
    )
