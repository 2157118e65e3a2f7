"""The "Schedule" button every answer has, and the one dialog it opens (also used to edit on /schedules).

The dialog is drawn from a page state that mixes in `ScheduleFormMixin`; each page places it once.
"""

from __future__ import annotations

from zoneinfo import available_timezones

import reflex as rx
from reflex.event import EventSpec

from lumiere.components.feedback import plans_link
from lumiere.components.forms import field_label
from lumiere.services.schedules import ONLY_IF_OPS
from lumiere.state.schedule_form import (
    ALWAYS,
    CUSTOM,
    FORMAT_LABELS,
    PRESETS,
    THRESHOLD,
    WHEN_ROWS,
    ScheduleFormMixin,
)

TIMEZONE_LIST_ID = "schedule-timezones"
# The zones the service accepts, offered as the time zone field's suggestions.
TIMEZONES = sorted(zone for zone in available_timezones() if "/" in zone or zone == "UTC")


def schedule_button(
    on_click: EventSpec,
    *,
    size: str = "2",
    label: rx.Var[str] | str = "Schedule",
    disabled: rx.Var[bool] | bool = False,
) -> rx.Component:
    """Opens the schedule dialog for one answer."""
    return rx.button(
        rx.icon("calendar-clock", size=14),
        "Schedule",
        on_click=on_click,
        variant="soft",
        size=size,
        type="button",
        aria_label=label,
        disabled=disabled,
        title="Run this query on a timetable and email the result",
    )


def _field_error(state: type[ScheduleFormMixin], field: str) -> rx.Component:
    return rx.cond(
        state.schedule_error_field == field,
        rx.text(state.schedule_error, id=f"schedule-{field}-error", color_scheme="red", size="2", role="alert"),
        rx.fragment(),
    )


def _invalid(state: type[ScheduleFormMixin], field: str) -> rx.Var[str]:
    return rx.cond(state.schedule_error_field == field, "true", "false")


def _labelled(label: str, for_id: str, *children: rx.Component) -> rx.Component:
    return rx.vstack(field_label(label, for_id), *children, spacing="1", width="100%", align="start")


def _when(state: type[ScheduleFormMixin]) -> rx.Component:
    return rx.vstack(
        _labelled(
            "When",
            "schedule-preset",
            rx.select.root(
                rx.select.trigger(id="schedule-preset", width="100%"),
                rx.select.content(
                    *[rx.select.item(preset.label, value=preset.key) for preset in PRESETS],
                    rx.select.item("Custom (cron expression)", value=CUSTOM),
                ),
                value=state.schedule_preset,
                on_change=state.set_schedule_preset,
            ),
        ),
        rx.cond(
            state.schedule_preset == CUSTOM,
            _labelled(
                "Cron expression",
                "schedule-cron",
                rx.input(
                    id="schedule-cron",
                    value=state.schedule_cron,
                    on_change=state.set_schedule_cron,
                    placeholder="0 8 * * MON",
                    width="100%",
                    spell_check=False,
                    max_length=200,
                    aria_describedby="schedule-cron-help",
                    aria_invalid=_invalid(state, "cron"),
                    style={"font_family": "var(--code-font-family)"},
                ),
                rx.text("5 fields: minute, hour, day of month, month, day of week.", id="schedule-cron-help",
                        size="1", color_scheme="gray"),
            ),
            rx.fragment(),
        ),
        _field_error(state, "cron"),
        spacing="2",
        width="100%",
    )


def _timezone(state: type[ScheduleFormMixin]) -> rx.Component:
    return rx.vstack(
        _labelled(
            "Time zone",
            "schedule-timezone",
            rx.input(
                id="schedule-timezone",
                value=state.schedule_timezone,
                on_change=state.set_schedule_timezone.debounce(300),
                placeholder="Europe/Paris",
                width="100%",
                max_length=100,
                spell_check=False,
                aria_invalid=_invalid(state, "timezone"),
                custom_attrs={"list": TIMEZONE_LIST_ID, "autoComplete": "off"},
            ),
        ),
        rx.el.datalist(*[rx.el.option(value=zone) for zone in TIMEZONES], id=TIMEZONE_LIST_ID),
        _field_error(state, "timezone"),
        spacing="1",
        width="100%",
    )


def _preview(state: type[ScheduleFormMixin]) -> rx.Component:
    """The next firings, read in the chosen zone, or why the timing cannot fire."""
    return rx.box(
        rx.cond(
            state.schedule_timing_problem != "",
            rx.text(state.schedule_timing_problem, size="2", color_scheme="amber"),
            rx.vstack(
                rx.text("Next runs", size="1", weight="medium", color_scheme="gray"),
                rx.el.ul(
                    rx.foreach(state.schedule_preview, lambda moment: rx.el.li(rx.text(moment, size="2"))),
                    style={"margin": "0", "padding_left": "1.1rem"},
                ),
                spacing="1",
            ),
        ),
        id="schedule-preview",
        role="status",
        aria_live="polite",
        padding="0.5rem 0.75rem",
        border_radius="var(--radius-3)",
        background=rx.color("gray", 2),
        width="100%",
    )


def _recipients(state: type[ScheduleFormMixin]) -> rx.Component:
    return rx.vstack(
        _labelled(
            "Recipients",
            "schedule-recipients",
            rx.text_area(
                id="schedule-recipients",
                value=state.schedule_recipients,
                on_change=state.set_schedule_recipients,
                rows="2",
                width="100%",
                resize="vertical",
                placeholder="you@example.com, team@example.com",
                aria_describedby="schedule-recipients-help",
                aria_invalid=_invalid(state, "recipients"),
            ),
            rx.text("Separate addresses with commas or new lines (up to 20).", id="schedule-recipients-help",
                    size="1", color_scheme="gray"),
        ),
        _field_error(state, "recipients"),
        spacing="1",
        width="100%",
    )


def _format(state: type[ScheduleFormMixin]) -> rx.Component:
    return rx.vstack(
        rx.text("Format", size="2", weight="medium", id="schedule-format-label"),
        rx.segmented_control.root(
            *[rx.segmented_control.item(label, value=value) for value, label in FORMAT_LABELS.items()],
            value=state.schedule_format,
            on_change=state.set_schedule_format,
            aria_labelledby="schedule-format-label",
        ),
        _field_error(state, "format"),
        spacing="1",
        align="start",
    )


def _threshold(state: type[ScheduleFormMixin]) -> rx.Component:
    column = rx.cond(
        state.schedule_columns.length() > 0,
        rx.select.root(
            rx.select.trigger(id="schedule-column", placeholder="Column", min_width="9rem"),
            rx.select.content(rx.foreach(state.schedule_columns, lambda name: rx.select.item(name, value=name))),
            value=state.schedule_column,
            on_change=state.set_schedule_column,
        ),
        rx.input(
            id="schedule-column",
            value=state.schedule_column,
            on_change=state.set_schedule_column,
            placeholder="column name",
            max_length=200,
            min_width="9rem",
        ),
    )
    return rx.flex(
        rx.vstack(field_label("Column", "schedule-column", font_size="0.8rem"), column, spacing="1"),
        rx.vstack(
            field_label("Is", "schedule-op", font_size="0.8rem"),
            rx.select.root(
                rx.select.trigger(id="schedule-op", min_width="4.5rem"),
                rx.select.content(*[rx.select.item(op, value=op) for op in ONLY_IF_OPS]),
                value=state.schedule_op,
                on_change=state.set_schedule_op,
            ),
            spacing="1",
        ),
        rx.vstack(
            field_label("Value", "schedule-value", font_size="0.8rem"),
            rx.input(
                id="schedule-value",
                value=state.schedule_value,
                on_change=state.set_schedule_value,
                placeholder="1000",
                input_mode="decimal",
                max_length=100,
                width="8rem",
            ),
            spacing="1",
        ),
        spacing="2",
        wrap="wrap",
        align="end",
    )


def _condition(state: type[ScheduleFormMixin]) -> rx.Component:
    return rx.vstack(
        _labelled(
            "Send",
            "schedule-condition",
            rx.select.root(
                rx.select.trigger(id="schedule-condition", width="100%"),
                rx.select.content(
                    rx.select.item("Every time it runs", value=ALWAYS),
                    rx.select.item("Only when there are rows", value=WHEN_ROWS),
                    rx.select.item("Only when a number crosses a threshold", value=THRESHOLD),
                ),
                value=state.schedule_condition,
                on_change=state.set_schedule_condition,
            ),
        ),
        rx.cond(state.schedule_condition == THRESHOLD, _threshold(state), rx.fragment()),
        _field_error(state, "only_if"),
        spacing="2",
        width="100%",
    )


def _form_error(state: type[ScheduleFormMixin]) -> rx.Component:
    return rx.cond(
        (state.schedule_error != "") & (state.schedule_error_field == ""),
        rx.callout.root(
            rx.callout.icon(rx.icon("triangle-alert")),
            rx.callout.text(rx.text(state.schedule_error), plans_link(state.schedule_limit_reached)),
            color_scheme="red",
            role="alert",
            width="100%",
        ),
        rx.fragment(),
    )


def _email_note(state: type[ScheduleFormMixin]) -> rx.Component:
    return rx.cond(
        state.schedule_email_ready,
        rx.fragment(),
        rx.callout(
            "Email is not configured on this server: the schedule runs and records each result, but sends no "
            "email until an administrator sets LUMIERE_SMTP_HOST.",
            icon="mail-warning",
            color_scheme="amber",
            size="1",
            width="100%",
        ),
    )


def schedule_dialog(state: type[ScheduleFormMixin]) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.flex(
                rx.dialog.title(rx.cond(state.schedule_editing > 0, "Edit schedule", "Schedule this answer")),
                rx.dialog.close(rx.icon_button(rx.icon("x", size=16), variant="ghost", aria_label="Close")),
                justify="between",
                align="start",
            ),
            rx.dialog.description(
                "Runs the query again on a timetable and emails the result. Question: \u201c",
                state.schedule_question,
                "\u201d",
                size="2",
                color_scheme="gray",
                margin_bottom="1rem",
                style={"overflow_wrap": "anywhere"},
            ),
            rx.vstack(
                _email_note(state),
                _labelled(
                    "Name",
                    "schedule-name",
                    rx.input(
                        id="schedule-name",
                        value=state.schedule_name,
                        on_change=state.set_schedule_name,
                        width="100%",
                        max_length=1000,
                        aria_invalid=_invalid(state, "name"),
                    ),
                ),
                _field_error(state, "name"),
                _when(state),
                _timezone(state),
                _preview(state),
                _recipients(state),
                _format(state),
                _condition(state),
                _form_error(state),
                rx.hstack(
                    rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                    rx.button(
                        rx.icon("calendar-check", size=16),
                        "Save schedule",
                        on_click=state.save_schedule,
                        loading=state.schedule_saving,
                        type="button",
                    ),
                    spacing="3",
                    justify="end",
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            max_width="34rem",
        ),
        open=state.schedule_open,
        on_open_change=state.set_schedule_open,
    )
