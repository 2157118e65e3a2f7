"""/insights: the insights the user saved, each with a link back to its query."""

from __future__ import annotations

import reflex as rx
from plotly.graph_objs import Figure

from lumiere import routes
from lumiere.components.a11y import link_button
from lumiere.components.chart_viewer import DARK_LAYOUT, LIGHT_LAYOUT
from lumiere.components.export_menu import export_menu
from lumiere.components.feedback import confirm_dialog, empty_state
from lumiere.components.layout import app_shell, page_header
from lumiere.components.markdown import safe_markdown_view
from lumiere.components.pin_button import pin_button
from lumiere.components.share_dialog import share_button
from lumiere.state.insights import InsightsState, SavedInsightRow


def saved_insight(item: rx.Var[SavedInsightRow]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.vstack(
                    rx.link(
                        item.question, href=routes.query_url(item.query_id), weight="medium", size="3"
                    ),
                    rx.hstack(
                        rx.cond(
                            item.source_name != "",
                            rx.badge(rx.icon("database", size=12), item.source_name, variant="soft"),
                            rx.fragment(),
                        ),
                        rx.text(
                            item.created,
                            rx.cond(item.saved_by != "", " · saved by " + item.saved_by, ""),
                            size="1",
                            color_scheme="gray",
                        ),
                        spacing="2",
                        align="center",
                        wrap="wrap",
                    ),
                    spacing="1",
                ),
                rx.hstack(
                    pin_button(item.query_id),
                    share_button(item.query_id),
                    export_menu(item.query_id),
                    rx.button(
                        rx.icon("mail", size=14),
                        "Email me",
                        on_click=InsightsState.email_me(item.id),
                        variant="soft",
                        size="1",
                        aria_label="Email me: " + item.question.to(str),
                    ),
                    rx.button(
                        rx.icon("bookmark-x", size=14),
                        "Remove from saved",
                        on_click=InsightsState.unsave(item.id),
                        variant="soft",
                        size="1",
                        aria_label="Remove from saved: " + item.question.to(str),
                        title="Takes it off this page; the insight stays with its answer in History",
                    ),
                    rx.button(
                        rx.icon("trash-2", size=14),
                        "Delete…",
                        on_click=InsightsState.ask_delete(item.id),
                        variant="soft",
                        color_scheme="red",
                        size="1",
                        aria_label="Delete: " + item.question.to(str),
                        title="Delete for good (asks first): " + item.question.to(str),
                    ),
                    spacing="2",
                    wrap="wrap",  # six actions do not fit beside a long question: they go to the next line
                ),
                justify="between",
                align="start",
                width="100%",
                spacing="3",
                wrap="wrap",
            ),
            rx.grid(  # the answer's chart beside the insight, as on the Ask page
                rx.cond(
                    item.figure.length() > 0,
                    rx.box(
                        rx.plotly(
                            data=item.figure.to(Figure),
                            layout=rx.color_mode_cond(light=LIGHT_LAYOUT, dark=DARK_LAYOUT),
                            config={"displaylogo": False, "responsive": True, "displayModeBar": False},
                            use_resize_handler=True,
                            width="100%",
                            height="16rem",
                        ),
                        width="100%",
                        aria_label="Chart: " + item.question.to(str),
                        role="img",
                    ),
                    rx.fragment(),
                ),
                rx.box(safe_markdown_view(item.text.to(str)), width="100%", style={"overflow_wrap": "anywhere"}),
                columns=rx.breakpoints(initial="1", md="3fr 2fr"),
                spacing="3",
                width="100%",
                align_items="start",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        role="listitem",
    )


def insights_content() -> rx.Component:
    return rx.vstack(
        page_header("Saved insights", "Insights you kept, with the question each one answers."),
        rx.cond(
            InsightsState.loaded,
            rx.cond(
                InsightsState.saved_items.length() > 0,
                rx.vstack(
                    rx.foreach(InsightsState.saved_items, saved_insight),
                    spacing="3",
                    width="100%",
                    role="list",
                    aria_label="Saved insights",
                ),
                empty_state(
                    "lightbulb",
                    "No saved insights yet",
                    "Ask a question, then press Save on its insight to keep it here.",
                    link_button("Ask a question", href=routes.QUERY.path),
                ),
            ),
            rx.fragment(),
        ),
        confirm_dialog(
            open_=InsightsState.confirming_delete,
            title="Delete this insight?",
            description="The insight is removed for good; its query stays in your history.",
            confirm_label="Delete insight",
            on_confirm=InsightsState.confirm_delete,
            on_cancel=InsightsState.cancel_delete,
        ),
        spacing="4",
        width="100%",
    )


def insights_page() -> rx.Component:
    return app_shell("Insights", insights_content)
