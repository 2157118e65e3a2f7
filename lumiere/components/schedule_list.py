"""/schedules' pieces: a schedule's card (timing, recipients, last run, actions) and its run history."""

from __future__ import annotations

import reflex as rx

from lumiere.state.schedules import RunRow, ScheduleRow, SchedulesState

STATUS_COLOURS = {"queued": "gray", "running": "blue", "sent": "green", "skipped": "amber", "failed": "red"}


def status_badge(status: rx.Var[str], label: rx.Var[str]) -> rx.Component:
    """A run's status (queued, running, sent, skipped, failed) in its colour."""
    return rx.match(
        status,
        *[(value, rx.badge(label, color_scheme=colour, variant="soft")) for value, colour in STATUS_COLOURS.items()],
        rx.badge(label, variant="soft"),
    )


def _fact(icon: str, label: str, *value: rx.Component | rx.Var | str) -> rx.Component:
    return rx.hstack(
        rx.icon(icon, size=14, color=rx.color("gray", 10), flex_shrink="0", aria_hidden="true"),
        rx.text(rx.text.span(label + ": ", color_scheme="gray"), *value, size="2",
                style={"overflow_wrap": "anywhere"}),
        spacing="2",
        align="start",
        min_width="0",
    )


def run_item(run: rx.Var[RunRow]) -> rx.Component:
    return rx.box(
        rx.flex(
            status_badge(run.status, run.status_label),
            rx.text(run.trigger, size="1", color_scheme="gray"),
            rx.text(
                rx.cond(run.started != "", run.started, ""),
                rx.cond(run.finished != "", " \u2192 " + run.finished.to(str), ""),
                size="1",
            ),
            rx.cond(run.rows != "", rx.text(run.rows, size="1", color_scheme="gray"), rx.fragment()),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        rx.cond(
            run.error != "",
            rx.text(run.error, size="1", color_scheme=rx.cond(run.status == "failed", "red", "gray"),
                    margin_top="0.25rem", style={"overflow_wrap": "anywhere"}),
            rx.fragment(),
        ),
        padding_y="0.5rem",
        border_top=f"1px solid {rx.color('gray', 4)}",
        width="100%",
        role="listitem",
        class_name="schedule-run",
    )


def run_history(row: rx.Var[ScheduleRow]) -> rx.Component:
    return rx.vstack(
        rx.heading("Run history", size="2", as_="h3"),
        rx.cond(
            SchedulesState.runs.length() > 0,
            rx.vstack(
                rx.foreach(SchedulesState.runs, run_item),
                spacing="0",
                width="100%",
                role="list",
                aria_label="Runs of " + row.name.to(str),
            ),
            rx.text(
                rx.cond(row.next_run != "", "No runs yet: the first is " + row.next_run.to(str) + ", or press Run now.",
                        "No runs yet: press Run now to run it once."),
                size="2",
                color_scheme="gray",
            ),
        ),
        rx.cond(
            SchedulesState.runs_total > SchedulesState.runs.length(),
            rx.text("The latest ", SchedulesState.runs.length(), " of ", SchedulesState.runs_total, " runs.",
                    size="1", color_scheme="gray"),
            rx.fragment(),
        ),
        spacing="2",
        width="100%",
        padding_top="0.5rem",
    )


def _actions(row: rx.Var[ScheduleRow]) -> rx.Component:
    name = row.name.to(str)
    return rx.flex(
        rx.button(rx.icon("play", size=14), "Run now", size="1", variant="soft",
                  on_click=SchedulesState.run_now(row.id), aria_label="Run now: " + name),
        rx.button(rx.icon("pencil", size=14), "Edit", size="1", variant="soft",
                  on_click=SchedulesState.open_schedule_editor(row.id), aria_label="Edit: " + name),
        rx.button(
            rx.cond(SchedulesState.expanded_id == row.id, rx.icon("chevron-up", size=14),
                    rx.icon("chevron-down", size=14)),
            "Runs",
            size="1",
            variant="ghost",
            on_click=SchedulesState.toggle_runs(row.id),
            aria_expanded=rx.cond(SchedulesState.expanded_id == row.id, "true", "false"),
            aria_label="Run history: " + name,
        ),
        rx.icon_button(rx.icon("trash-2", size=14), size="1", variant="soft", color_scheme="red",
                       on_click=SchedulesState.ask_delete(row.id, row.name), aria_label="Delete: " + name,
                       title="Delete: " + name),
        spacing="2",
        wrap="wrap",
        align="center",
    )


def _last_run(row: rx.Var[ScheduleRow]) -> rx.Component:
    return rx.cond(
        row.last_status != "",
        rx.hstack(
            status_badge(row.last_status, row.last_status_label),
            rx.text(row.last_run, size="2"),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        rx.text("Not run yet", size="2", color_scheme="gray"),
    )


def schedule_card(row: rx.Var[ScheduleRow]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.vstack(
                    rx.heading(row.name, size="3", as_="h2", style={"overflow_wrap": "anywhere"}),
                    rx.cond(
                        row.question != "",
                        rx.text(row.question, size="2", color_scheme="gray", style={"overflow_wrap": "anywhere"}),
                        rx.fragment(),
                    ),
                    spacing="1",
                    min_width="0",
                    flex="1",
                ),
                rx.el.label(
                    rx.hstack(
                        rx.switch(
                            checked=row.enabled,
                            on_change=lambda checked: SchedulesState.set_enabled(row.id, checked),
                            aria_label="Enabled: " + row.name.to(str),
                        ),
                        rx.text(rx.cond(row.enabled, "On", "Off"), size="2"),
                        spacing="2",
                        align="center",
                    ),
                ),
                justify="between",
                align="start",
                spacing="3",
                width="100%",
            ),
            rx.grid(
                _fact("calendar-clock", "When", row.cron_text, " (", row.timezone, ")"),
                _fact("database", "Source", row.source),
                _fact("mail", "To", row.recipients),
                _fact("file", "Format", row.format, " \u00b7 ", row.condition),
                _fact("clock", "Next run", rx.cond(row.next_run != "", row.next_run, "off")),
                rx.hstack(
                    rx.icon("history", size=14, color=rx.color("gray", 10), aria_hidden="true"),
                    rx.text("Last run: ", size="2", color_scheme="gray"),
                    _last_run(row),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing_x="4",
                spacing_y="2",
                width="100%",
            ),
            _actions(row),
            rx.cond(SchedulesState.expanded_id == row.id, run_history(row), rx.fragment()),
            spacing="3",
            width="100%",
        ),
        width="100%",
        role="listitem",
        class_name="schedule-card",
    )
