"""ExplorationGrid: the cards of a vague request's answer, each with its chart, a sentence and a way
to open it as a question of its own. One column on phones, two on tablets, three on wide screens."""

from __future__ import annotations

import reflex as rx
from plotly.graph_objs import Figure
from plotly.io import templates

from lumiere.components.a11y import card_boundary
from lumiere.components.chart_viewer import DARK_LAYOUT, LIGHT_LAYOUT
from lumiere.components.markdown import safe_markdown_view
from lumiere.state.exploration import ExplorationMixin, ExplorationTile

GRID_ID = "exploration-grid"
# The card's heading names the chart, so the figure drops its own title and most of its top margin.
_CARD_LAYOUT = {"title": {"text": ""}, "margin": {"t": 12, "r": 12, "b": 48, "l": 56}}


def _figure(tile: ExplorationTile) -> rx.Component:
    return rx.plotly(
        data=tile.figure.to(Figure),
        layout=rx.color_mode_cond(light={**LIGHT_LAYOUT, **_CARD_LAYOUT}, dark={**DARK_LAYOUT, **_CARD_LAYOUT}),
        template=rx.color_mode_cond(light=templates["plotly_white"], dark=templates["plotly_dark"]),
        config={"displaylogo": False, "responsive": True, "displayModeBar": False},
        use_resize_handler=True,
        width="100%",
        height="15rem",
    )


def _card(tile: ExplorationTile, state: type[ExplorationMixin]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(tile.title, size="3", as_="h3", style={"overflow_wrap": "anywhere"}),
            card_boundary(rx.box(_figure(tile), width="100%", min_height="15rem", role="figure", aria_label=tile.title),
                          "chart"),
            rx.box(
                safe_markdown_view(tile.insight),
                width="100%",
                style={"font_size": "0.875rem", "overflow_wrap": "anywhere", "& p": {"margin": "0"}},
            ),
            rx.spacer(),
            rx.button(
                rx.icon("square-pen", size=14),
                "Open as question",
                on_click=state.open_card_as_question(tile.index),
                variant="soft",
                size="1",
                type="button",
                aria_label="Open as question: " + tile.title,
            ),
            spacing="3",
            height="100%",
            width="100%",
            align="start",
        ),
        id=tile.element_id,
        width="100%",
        min_width="0",
        class_name="exploration-card",
    )


def exploration_grid(state: type[ExplorationMixin]) -> rx.Component:
    return rx.cond(
        state.has_exploration,
        rx.vstack(
            rx.hstack(
                rx.icon("sparkles", size=18, color=rx.color("amber", 10)),
                rx.heading("What stands out", size="4", as_="h2"),
                align="center",
            ),
            rx.text(
                "Picked from the data's profile; every card is a query you can open, change and run.",
                size="2",
                color_scheme="gray",
            ),
            rx.grid(
                rx.foreach(state.exploration_tiles, lambda tile: _card(tile, state)),
                columns=rx.breakpoints(initial="1", md="2", xl="3"),
                spacing="4",
                width="100%",
                align_items="stretch",
            ),
            id=GRID_ID,
            spacing="3",
            width="100%",
        ),
        rx.fragment(),
    )
