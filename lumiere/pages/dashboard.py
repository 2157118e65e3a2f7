import reflex as rx

from lumiere import routes
from lumiere.components.a11y import link_button
from lumiere.components.layout import app_shell, page_header
from lumiere.state.dashboard import DashboardState


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


def dashboard_content() -> rx.Component:
    return rx.vstack(
        page_header(f"Welcome, {DashboardState.user_name}", "Here is where your data stands."),
        rx.grid(
            stat_card("Data sources", DashboardState.source_count, "database", routes.DATA.path),
            stat_card("Questions asked", DashboardState.query_count, "message-circle-question", routes.HISTORY.path),
            stat_card("Saved insights", DashboardState.saved_insight_count, "lightbulb", routes.INSIGHTS.path),
            columns=rx.breakpoints(initial="1", sm="3"),
            spacing="4",
            width="100%",
        ),
        rx.heading("Next steps", size="4", as_="h2", margin_top="1rem"),
        rx.cond(DashboardState.source_count == 0, empty_state(), next_steps()),
        spacing="4",
        width="100%",
    )


def dashboard_page() -> rx.Component:
    return app_shell("Dashboard", dashboard_content)
