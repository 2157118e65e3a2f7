"""The Dashboard: "Getting started" for a new user, the counts, and the space's pinned answers."""

import reflex as rx
from plotly.graph_objs import Figure
from plotly.io import templates

from lumiere import routes
from lumiere.components.a11y import link_button
from lumiere.components.chart_viewer import DARK_LAYOUT, LIGHT_LAYOUT
from lumiere.components.layout import app_shell, page_header
from lumiere.state.dashboard import DashboardState, GuideRow, PinCard


def stat_card(label: str, value: rx.Var[int], icon: str, href: str) -> rx.Component:
    return rx.link(
        rx.card(
            rx.hstack(
                rx.center(
                    rx.icon(icon, size=20), background=rx.color("accent", 3), padding="0.6rem", border_radius="full"
                ),
                rx.vstack(
                    rx.text(label, size="2", color_scheme="gray"),
                    rx.heading(value, size="6"),
                    spacing="0",
                ),
                align="center",
                spacing="3",
            ),
            width="100%",
        ),
        href=href,
        underline="none",
        width="100%",
    )


def step_card(title: str, body: str, icon: str, href: str, cta: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.icon(icon, size=24, color=rx.color("accent", 10)),
            rx.heading(title, size="4", as_="h3"),
            rx.text(body, color_scheme="gray", size="2"),
            link_button(cta, variant="soft", href=href),
            spacing="3",
            align="start",
        ),
        width="100%",
    )


def empty_state() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.icon("database-zap", size=40, color=rx.color("accent", 9)),
            rx.heading("No data yet", size="5", as_="h2"),
            rx.text(
                "Add a CSV file (or try the sample dataset) and ask your first question in plain language.",
                color_scheme="gray",
                text_align="center",
            ),
            rx.hstack(
                link_button(rx.icon("upload", size=16), "Upload a CSV", href=routes.UPLOAD.path),
                link_button("See data options", variant="soft", href=routes.DATA.path),
                spacing="3",
                wrap="wrap",
                justify="center",
            ),
            align="center",
            spacing="3",
            padding="2rem",
        ),
        width="100%",
    )


def next_steps() -> rx.Component:
    return rx.grid(
        step_card(
            "Ask a question",
            "Type a question about your data and get SQL, rows and a chart.",
            "message-circle-question",
            routes.QUERY.path,
            "Ask",
        ),
        step_card(
            "Add more data",
            "Upload another CSV or connect PostgreSQL or MySQL.",
            "database",
            routes.DATA.path,
            "Manage data",
        ),
        step_card(
            "Look back",
            "Re-run, edit or search the questions you asked before.",
            "history",
            routes.HISTORY.path,
            "Open history",
        ),
        columns=rx.breakpoints(initial="1", sm="2", lg="3"),
        spacing="4",
        width="100%",
    )


def guide_step(step: rx.Var[GuideRow]) -> rx.Component:
    return rx.flex(
        rx.icon(
            rx.cond(step.done, "circle-check", "circle"),
            size=20,
            color=rx.cond(step.done, rx.color("green", 10), rx.color("gray", 9)),
            flex_shrink="0",
        ),
        rx.vstack(
            rx.text(step.title, weight="medium", text_decoration=rx.cond(step.done, "line-through", "none")),
            rx.text(step.body, size="1", color_scheme="gray"),
            spacing="0",
            flex="1",
        ),
        rx.cond(
            step.done,
            rx.badge("Done", color_scheme="green", variant="soft"),
            rx.link(step.action, href=step.href, size="2", weight="medium"),
        ),
        align="center",
        gap="3",
        width="100%",
        class_name="guide-step",
        data_done=rx.cond(step.done, "true", "false"),
    )


def getting_started() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.vstack(
                    rx.heading("Getting started", size="4", as_="h2"),
                    rx.text(DashboardState.guide_done_count, " of 5 done", size="2", color_scheme="gray",
                            class_name="guide-progress"),
                    spacing="1",
                ),
                rx.tooltip(
                    rx.icon_button(
                        rx.icon("x", size=16), variant="ghost", on_click=DashboardState.dismiss_guide,
                        aria_label="Hide getting started",
                    ),
                    content="Hide getting started (the user menu brings it back)",
                ),
                justify="between",
                align="start",
                width="100%",
            ),
            rx.foreach(DashboardState.guide_steps, guide_step),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="getting-started",
    )


def _icon_action(icon: str, label: str, on_click, disabled=False) -> rx.Component:
    return rx.tooltip(
        rx.icon_button(rx.icon(icon, size=14), on_click=on_click, variant="ghost", size="1", aria_label=label,
                       disabled=disabled),
        content=label,
    )


def pin_controls(pin: rx.Var[PinCard], index: rx.Var[int]) -> rx.Component:
    return rx.cond(
        DashboardState.can_arrange,
        rx.hstack(
            _icon_action("arrow-left", "Move earlier: " + pin.question, DashboardState.move(pin.id, index - 1),
                         disabled=pin.first),
            _icon_action("arrow-right", "Move later: " + pin.question, DashboardState.move(pin.id, index + 1),
                         disabled=pin.last),
            rx.cond(
                pin.width > 1,
                _icon_action("minimize-2", "Narrower: " + pin.question, DashboardState.resize(pin.id, pin.width - 1)),
                rx.fragment(),
            ),
            rx.cond(
                pin.width < 3,
                _icon_action("maximize-2", "Wider: " + pin.question, DashboardState.resize(pin.id, pin.width + 1)),
                rx.fragment(),
            ),
            _icon_action("pin-off", "Unpin: " + pin.question, DashboardState.unpin(pin.id)),
            spacing="1",
        ),
        rx.fragment(),
    )


def pin_body(pin: rx.Var[PinCard]) -> rx.Component:
    return rx.match(
        pin.kind,
        (
            "number",
            rx.vstack(
                rx.text(pin.value, size="8", weight="bold", class_name="pin-number"),
                rx.text(pin.label, size="2", color_scheme="gray"),
                spacing="1",
                padding_y="1.5rem",
                align="center",
                width="100%",
            ),
        ),
        (
            "error",
            rx.callout(pin.error, icon="triangle-alert", color_scheme="amber", size="1", width="100%"),
        ),
        rx.plotly(
            data=pin.figure.to(Figure),
            layout=rx.color_mode_cond(light=LIGHT_LAYOUT, dark=DARK_LAYOUT),
            template=rx.color_mode_cond(light=templates["plotly_white"], dark=templates["plotly_dark"]),
            config={"displaylogo": False, "responsive": True, "displayModeBar": False},
            use_resize_handler=True,
            width="100%",
            height="18rem",
        ),
    )


def pin_card(pin: rx.Var[PinCard], index: rx.Var[int]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.vstack(
                    rx.link(pin.question, href=pin.href, weight="medium", size="3"),
                    rx.text(pin.source_name, size="1", color_scheme="gray"),
                    spacing="0",
                    min_width="0",
                ),
                pin_controls(pin, index),
                justify="between",
                align="start",
                gap="2",
                width="100%",
            ),
            pin_body(pin),
            spacing="2",
            width="100%",
        ),
        grid_column=rx.breakpoints(initial="span 1", md=pin.span),
        min_width="0",
        class_name="pin-card",
        data_width=pin.width.to_string(),
    )


def pins_empty() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.icon("pin", size=32, color=rx.color("accent", 9)),
            rx.heading("No pinned answers yet", size="4", as_="h3"),
            rx.text(
                "Ask a question, then press “Pin to dashboard” under the answer (or on History or Saved insights). "
                "Pinned answers are drawn from the latest data each time you come here.",
                color_scheme="gray",
                text_align="center",
                size="2",
            ),
            link_button(rx.icon("message-circle-question", size=16), "Ask a question", href=routes.QUERY.path),
            align="center",
            spacing="3",
            padding="1.5rem",
        ),
        width="100%",
        id="pins-empty",
    )


def pinned_answers() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.heading("Pinned answers", size="4", as_="h2"),
            rx.cond(
                DashboardState.pin_cards.length() > 0,
                rx.button(rx.icon("refresh-cw", size=14), "Refresh", on_click=DashboardState.refresh, variant="soft",
                          size="1"),
                rx.fragment(),
            ),
            justify="between",
            align="center",
            width="100%",
        ),
        rx.cond(
            DashboardState.pin_cards.length() > 0,
            rx.grid(
                rx.foreach(DashboardState.pin_cards, pin_card),
                columns=rx.breakpoints(initial="1", md="3"),
                spacing="4",
                width="100%",
                id="pins-grid",
            ),
            pins_empty(),
        ),
        spacing="3",
        width="100%",
    )


def dashboard_content() -> rx.Component:
    return rx.vstack(
        page_header(f"Welcome, {DashboardState.user_name}", "Here is where your data stands."),
        rx.cond(DashboardState.show_guide, getting_started(), rx.fragment()),
        rx.grid(
            stat_card("Data sources", DashboardState.source_count, "database", routes.DATA.path),
            stat_card("Questions asked", DashboardState.query_count, "message-circle-question", routes.HISTORY.path),
            stat_card("Saved insights", DashboardState.saved_insight_count, "lightbulb", routes.INSIGHTS.path),
            columns=rx.breakpoints(initial="1", sm="3"),
            spacing="4",
            width="100%",
        ),
        pinned_answers(),
        rx.cond(  # the guide already says what to do next
            DashboardState.show_guide,
            rx.fragment(),
            rx.fragment(
                rx.heading("Next steps", size="4", as_="h2", margin_top="1rem"),
                rx.cond(DashboardState.source_count == 0, empty_state(), next_steps()),
            ),
        ),
        spacing="4",
        width="100%",
    )


def dashboard_page() -> rx.Component:
    return app_shell("Dashboard", dashboard_content)
