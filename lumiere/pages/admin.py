"""/admin: the console for administrators (the sidebar shows it to them only; anyone else who opens
it is sent to the dashboard by `AdminState.load`)."""

from __future__ import annotations

import reflex as rx

from lumiere.components.admin_overview import activity_charts, llm_costs, metric_cards, period_selector, system_status
from lumiere.components.admin_plans import plans_editor
from lumiere.components.admin_users import users_table
from lumiere.components.layout import app_shell, loading_screen, page_header
from lumiere.state.admin import AdminState


def admin_content() -> rx.Component:
    return rx.cond(
        AdminState.is_admin & AdminState.loaded,
        rx.vstack(
            page_header("Admin", "Users, usage, plans and the health of this installation.", period_selector()),
            metric_cards(),
            activity_charts(),
            users_table(),
            llm_costs(),
            plans_editor(),
            system_status(),
            spacing="4",
            width="100%",
        ),
        loading_screen(),
    )


def admin_page() -> rx.Component:
    return app_shell("Admin", admin_content)
