"""/schedules: queries that run on a timetable and arrive by email, with their runs."""

from __future__ import annotations

import reflex as rx

from lumiere import routes
from lumiere.components.feedback import confirm_dialog, empty_state, error_callout, page_arrow
from lumiere.components.layout import app_shell, page_header
from lumiere.components.schedule_dialog import schedule_dialog
from lumiere.components.schedule_list import schedule_card
from lumiere.state.schedules import SchedulesState

SMTP_SETTINGS = ("LUMIERE_SMTP_HOST", "LUMIERE_SMTP_PORT", "LUMIERE_SMTP_USER", "LUMIERE_SMTP_PASSWORD",
                 "LUMIERE_SMTP_FROM", "LUMIERE_SMTP_TLS")


def email_banner() -> rx.Component:
    """Without SMTP settings runs still happen and are recorded; this says why nothing arrives."""
    return rx.cond(
        SchedulesState.email_configured,
        rx.fragment(),
        rx.callout.root(
            rx.callout.icon(rx.icon("mail-warning")),
            rx.callout.text(
                rx.text("Email is not configured on this server", weight="bold"),
                rx.text(
                    "Schedules still run on time and record each result here, but no email is sent. "
                    "To send them, an administrator sets ",
                    *[item for name in SMTP_SETTINGS[:-1] for item in (rx.code(name), ", ")],
                    "and ",
                    rx.code(SMTP_SETTINGS[-1]),
                    " (starttls, ssl or none), then restarts Lumiere.",
                ),
            ),
            color_scheme="amber",
            role="status",
            width="100%",
            id="email-not-configured",
        ),
    )


def pager() -> rx.Component:
    return rx.cond(
        SchedulesState.page_count > 1,
        rx.flex(
            rx.text(SchedulesState.total.to_string() + " schedules", size="2", color_scheme="gray"),
            rx.hstack(
                page_arrow("left", SchedulesState.go_to_page(SchedulesState.page - 1), SchedulesState.page <= 1,
                           "Previous page"),
                rx.text(SchedulesState.page, " / ", SchedulesState.page_count, size="2"),
                page_arrow("right", SchedulesState.go_to_page(SchedulesState.page + 1),
                           SchedulesState.page >= SchedulesState.page_count, "Next page"),
                spacing="2",
                align="center",
            ),
            justify="between",
            align="center",
            width="100%",
        ),
        rx.fragment(),
    )


def schedule_list() -> rx.Component:
    return rx.cond(
        SchedulesState.items.length() > 0,
        rx.vstack(
            rx.vstack(
                rx.foreach(SchedulesState.items, schedule_card),
                spacing="3",
                width="100%",
                role="list",
                aria_label="Schedules",
            ),
            pager(),
            spacing="3",
            width="100%",
        ),
        empty_state(
            "calendar-clock",
            "No schedules yet",
            "Ask a question, then Schedule it: the answer runs again on the timetable you pick and arrives by "
            "email as CSV, Excel or PDF. Every answer on Ask, History and Chat has a Schedule button.",
            rx.link(rx.button(rx.icon("message-circle-question", size=16), "Ask a question"), href=routes.QUERY.path),
            rx.link(rx.button("Schedule from History", variant="soft"), href=routes.HISTORY.path),
        ),
    )


def schedules_content() -> rx.Component:
    return rx.vstack(
        page_header("Schedules", "Answers that run again on a timetable and arrive by email."),
        email_banner(),
        error_callout(SchedulesState.list_error, "Could not load the schedules"),
        rx.cond(SchedulesState.loaded, schedule_list(), rx.fragment()),
        schedule_dialog(SchedulesState),
        confirm_dialog(
            open_=SchedulesState.confirming_delete,
            title="Delete this schedule?",
            description="'" + SchedulesState.deleting_name + "' stops running and its run history is removed. "
            "The answer stays in your history.",
            confirm_label="Delete schedule",
            on_confirm=SchedulesState.confirm_delete,
            on_cancel=SchedulesState.cancel_delete,
        ),
        spacing="4",
        width="100%",
    )


def schedules_page() -> rx.Component:
    return app_shell("Schedules", schedules_content)
