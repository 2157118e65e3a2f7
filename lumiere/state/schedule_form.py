"""The "Schedule" dialog every answer has (Ask, History, Chat) and /schedules uses to edit: a mixin.

It makes or changes a schedule through the same service functions as POST and PATCH /api/schedules.
What happens here is only reading what the browser sends into what those functions take: a preset
into its cron, the recipients text into addresses, the threshold's text into a number. The preview
of the next firings uses the scheduler's own cron module, so it shows exactly when runs will happen.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar

import reflex as rx
from reflex_components_sonner.toast import ToastAction
from sqlmodel import Session

from lumiere import routes
from lumiere.core.enums import ExportFormat
from lumiere.core.errors import Invalid, LimitReached
from lumiere.models import User
from lumiere.services import cron, schedules
from lumiere.services.history import get_query
from lumiere.services.schedules import ONLY_IF_OPS, ScheduleView, public_schedule
from lumiere.state.arguments import INVALID_LINK, bounded_text, one_of, positive_id
from lumiere.state.display import local_time
from lumiere.state.service_calls import Failed

T = TypeVar("T")


@dataclass(frozen=True)
class CronPreset:
    key: str
    label: str
    cron: str


PRESETS: tuple[CronPreset, ...] = (
    CronPreset("daily", "Every day at 8:00", "0 8 * * *"),
    CronPreset("weekly", "Every Monday at 8:00", "0 8 * * MON"),
    CronPreset("monthly", "First of the month at 8:00", "0 8 1 * *"),
    CronPreset("hourly", "Every hour", "0 * * * *"),
)
CUSTOM = "custom"
PRESET_CRONS = {preset.key: preset.cron for preset in PRESETS}
FORMAT_LABELS = {ExportFormat.CSV.value: "CSV", ExportFormat.XLSX.value: "Excel", ExportFormat.PDF.value: "PDF"}
# The alert condition: always send, only when there are rows, or when a number crosses a threshold.
ALWAYS, WHEN_ROWS, THRESHOLD = "always", "rows", "threshold"
CONDITIONS = (ALWAYS, WHEN_ROWS, THRESHOLD)
PREVIEW_COUNT = 3
DEFAULT_TIMEZONE = "UTC"
# Fields the service names in a 422 that the dialog shows beside their input; others go under the form.
FORM_FIELDS = frozenset({"name", "cron", "timezone", "recipients", "format", "only_if"})
MAX_FIELD_CHARS = 10_000
BROWSER_TIMEZONE_JS = "Intl.DateTimeFormat().resolvedOptions().timeZone"


def preset_for(expression: str) -> str:
    """The preset a cron expression is (the select shows it), or custom."""
    return next((preset.key for preset in PRESETS if preset.cron == expression), CUSTOM)


def split_recipients(text: str) -> list[str]:
    """Addresses separated by commas, semicolons or new lines (the service checks each one)."""
    return [part.strip() for part in re.split(r"[,;\n\r]+", text) if part.strip()]


def firing_preview(expression: str, timezone: str, now: datetime) -> tuple[list[str], str]:
    """The next firings as read in `timezone`, or why there are none (the service's own message)."""
    try:
        parsed, zone = cron.parse_cron(expression), cron.parse_timezone(timezone)
    except Invalid as error:
        return [], error.detail
    firings = [local_time(moment, zone) for moment in islice(cron.firings_after(parsed, zone, now), PREVIEW_COUNT)]
    return firings, "" if firings else "This cron expression never fires again."


def threshold_value(text: str) -> int | float | None:
    """The threshold typed in the dialog as a number (1,000 and 1_000 read as 1000), None if it is not one."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    try:
        return int(cleaned)
    except ValueError:
        pass
    try:
        number = float(cleaned)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def in_sentence(cron_text: str) -> str:
    """"At 08:00 on Monday" inside a sentence: "at 08:00 on Monday"."""
    return cron_text[:1].lower() + cron_text[1:]


def condition_text(only_if: dict[str, Any] | None) -> str:
    """The alert condition in words, for the list."""
    if not only_if:
        return "Always sent"
    if only_if.get("rows"):
        return "Only when there are rows"
    value = only_if.get("value")
    shown = f"{value:,}" if isinstance(value, int) else f"{value:,g}" if isinstance(value, float) else str(value)
    return f"Only when {only_if.get('column')} {only_if.get('op')} {shown}"


@dataclass(frozen=True)
class FormStart:
    """What the dialog opens with, read in one service call."""

    question: str
    email: str
    email_configured: bool
    schedule: ScheduleView | None = None


def _start_from_query(session: Session, user: User, query_id: int) -> FormStart:
    query = get_query(session, user, query_id)
    return FormStart(query.question or f"Query {query_id}", user.email, schedules.email_configured())


def _start_from_schedule(session: Session, user: User, schedule_id: int) -> FormStart:
    view = public_schedule(schedules.get_schedule(session, user, schedule_id))
    return FormStart(view.question, user.email, schedules.email_configured(), view)


class ScheduleFormMixin(rx.State, mixin=True):
    """The dialog's fields; a page state mixes it in and places `components.schedule_dialog` once."""

    schedule_open: bool = False
    schedule_editing: int = 0  # the schedule being edited; 0 while making a new one
    schedule_query_id: int = 0
    schedule_question: str = ""
    schedule_name: str = ""
    schedule_preset: str = PRESETS[0].key
    schedule_cron: str = PRESETS[0].cron
    schedule_timezone: str = DEFAULT_TIMEZONE
    schedule_recipients: str = ""
    schedule_format: str = ExportFormat.CSV.value
    schedule_condition: str = ALWAYS
    schedule_column: str = ""
    schedule_op: str = ">"
    schedule_value: str = ""
    schedule_columns: list[str] = []
    schedule_email_ready: bool = True
    schedule_saving: bool = False
    # The service's last refusal and the field it names ("" when it names none of the dialog's).
    schedule_error: str = ""
    schedule_error_field: str = ""
    schedule_limit_reached: bool = False
    # The browser's zone once known (new schedules start in it), and whether the user picked another.
    _browser_timezone: str = ""
    _timezone_chosen: bool = False

    if TYPE_CHECKING:
        # AuthState's, which every page state that mixes this in extends.
        async def _call_service(self, work: Callable[[Session, User], T]) -> T | Failed: ...

    @rx.var
    def schedule_preview(self) -> list[str]:
        return firing_preview(self.schedule_cron, self.schedule_timezone, datetime.now(UTC))[0]

    @rx.var
    def schedule_timing_problem(self) -> str:
        """Why the cron or the zone cannot fire, said while typing (the service says the same on Save)."""
        return firing_preview(self.schedule_cron, self.schedule_timezone, datetime.now(UTC))[1]

    # ---- hooks for the page state ------------------------------------------------------

    def _schedule_columns(self, query_id: int) -> list[str]:
        """The numeric columns of the answer `query_id` when the page shows it (for the alert's column)."""
        return []

    def _schedule_saved(self, view: ScheduleView, created: bool) -> Any:
        """What follows a save: by default a toast with the way to the schedules page."""
        done = f"Scheduled: {in_sentence(view.cron_text)} ({view.timezone})." if created else "Schedule saved."
        return rx.toast.success(
            done, action=ToastAction(label="Open Schedules", on_click=rx.redirect(routes.SCHEDULES.path))
        )

    # ---- opening and closing ----------------------------------------------------------

    def _reset_schedule_form(self, start: FormStart) -> None:
        self.schedule_question = start.question
        self.schedule_email_ready = start.email_configured
        self.schedule_error = self.schedule_error_field = ""
        self.schedule_limit_reached = self.schedule_saving = False
        self.schedule_column, self.schedule_op, self.schedule_value = "", ">", ""
        self.schedule_condition = ALWAYS
        self._timezone_chosen = False

    @rx.event
    async def open_schedule_form(self, query_id: int | str):
        """The dialog for a new schedule of one answer, prefilled from it."""
        wanted = positive_id(query_id)
        if wanted is None:
            return rx.toast.error(INVALID_LINK)
        start = await self._call_service(lambda session, user: _start_from_query(session, user, wanted))
        if isinstance(start, Failed):
            return start.event
        self._reset_schedule_form(start)
        self.schedule_editing, self.schedule_query_id = 0, wanted
        self.schedule_name = " ".join(start.question.split())[: schedules.MAX_NAME_CHARS]
        self.schedule_preset, self.schedule_cron = PRESETS[0].key, PRESETS[0].cron
        self.schedule_timezone = self._browser_timezone or DEFAULT_TIMEZONE
        self.schedule_recipients = start.email
        self.schedule_format = ExportFormat.CSV.value
        self.schedule_columns = self._schedule_columns(wanted)
        self.schedule_open = True
        if self._browser_timezone:
            return None
        return rx.call_script(BROWSER_TIMEZONE_JS, callback=self.__class__.take_browser_timezone)

    @rx.event
    async def open_schedule_editor(self, schedule_id: int | str):
        """The same dialog holding one of the user's schedules."""
        wanted = positive_id(schedule_id)
        if wanted is None:
            return rx.toast.error(INVALID_LINK)
        start = await self._call_service(lambda session, user: _start_from_schedule(session, user, wanted))
        if isinstance(start, Failed):
            return start.event
        view = start.schedule
        if view is None:  # _start_from_schedule always reads one
            return rx.toast.error(INVALID_LINK)
        self._reset_schedule_form(start)
        self.schedule_editing, self.schedule_query_id = view.id, view.query_id or 0
        self.schedule_name = view.name
        self.schedule_preset, self.schedule_cron = preset_for(view.cron), view.cron
        self.schedule_timezone = view.timezone
        self._timezone_chosen = True  # its own zone stays, whatever the browser's is
        self.schedule_recipients = ", ".join(view.recipients)
        self.schedule_format = str(view.format)
        only_if = view.only_if or {}
        if only_if.get("rows"):
            self.schedule_condition = WHEN_ROWS
        elif only_if:
            self.schedule_condition = THRESHOLD
            self.schedule_column = str(only_if.get("column", ""))
            self.schedule_op = str(only_if.get("op", ">"))
            self.schedule_value = str(only_if.get("value", ""))
        self.schedule_columns = []
        self.schedule_open = True
        return None

    @rx.event
    def take_browser_timezone(self, zone: Any):
        """The browser's IANA zone (from Intl): the default for new schedules, unless it is not one we know."""
        try:
            known = cron.parse_timezone(zone)
        except Invalid:
            return
        self._browser_timezone = known
        if not self._timezone_chosen and not self.schedule_editing:
            self.schedule_timezone = known

    @rx.event
    def set_schedule_open(self, is_open: bool):
        """Escape, the overlay or Cancel closes the dialog; nothing is saved."""
        if not is_open:
            self.schedule_open = False
            self.schedule_saving = False

    # ---- the fields --------------------------------------------------------------------

    def _field_changed(self, field: str) -> None:
        if self.schedule_error_field == field:
            self.schedule_error = self.schedule_error_field = ""

    @rx.event
    def set_schedule_name(self, text: str):
        self.schedule_name = bounded_text(text, MAX_FIELD_CHARS)
        self._field_changed("name")

    @rx.event
    def set_schedule_preset(self, key: str):
        chosen = one_of(key, (*PRESET_CRONS, CUSTOM))
        if chosen is None:
            return
        self.schedule_preset = chosen
        if chosen != CUSTOM:
            self.schedule_cron = PRESET_CRONS[chosen]
        self._field_changed("cron")

    @rx.event
    def set_schedule_cron(self, text: str):
        self.schedule_cron = bounded_text(text, cron.MAX_CRON_CHARS * 2)
        self.schedule_preset = CUSTOM
        self._field_changed("cron")

    @rx.event
    def set_schedule_timezone(self, text: str):
        self.schedule_timezone = bounded_text(text, 100).strip()
        self._timezone_chosen = True
        self._field_changed("timezone")

    @rx.event
    def set_schedule_recipients(self, text: str):
        self.schedule_recipients = bounded_text(text, MAX_FIELD_CHARS)
        self._field_changed("recipients")

    @rx.event
    def set_schedule_format(self, value: str | list[str]):
        self.schedule_format = one_of(value, FORMAT_LABELS) or self.schedule_format
        self._field_changed("format")

    @rx.event
    def set_schedule_condition(self, value: str):
        self.schedule_condition = one_of(value, CONDITIONS) or self.schedule_condition
        self._field_changed("only_if")

    @rx.event
    def set_schedule_column(self, value: str):
        self.schedule_column = bounded_text(value, 200)
        self._field_changed("only_if")

    @rx.event
    def set_schedule_op(self, value: str):
        self.schedule_op = one_of(value, ONLY_IF_OPS) or self.schedule_op
        self._field_changed("only_if")

    @rx.event
    def set_schedule_value(self, text: str):
        self.schedule_value = bounded_text(text, 100)
        self._field_changed("only_if")

    # ---- saving ------------------------------------------------------------------------

    def _only_if(self) -> dict[str, Any] | None:
        """The condition as the service takes it; Invalid when the threshold is not a number."""
        if self.schedule_condition == WHEN_ROWS:
            return {"rows": True}
        if self.schedule_condition != THRESHOLD:
            return None
        value = threshold_value(self.schedule_value)
        if value is None:
            raise Invalid("Enter the threshold as a number, such as 1000.", field="only_if")
        return {"column": self.schedule_column, "op": self.schedule_op, "value": value}

    def _show_schedule_error(self, failed: Failed) -> None:
        self.schedule_error = failed.message
        self.schedule_error_field = failed.field if failed.field in FORM_FIELDS else ""
        self.schedule_limit_reached = isinstance(failed.error, LimitReached)

    @rx.event
    async def save_schedule(self):
        """Creates the schedule (or saves the one being edited); a refusal shows beside its field."""
        if self.schedule_saving or not self.schedule_open:
            return
        self.schedule_error = self.schedule_error_field = ""
        self.schedule_limit_reached = False
        try:
            only_if = self._only_if()
        except Invalid as error:
            self._show_schedule_error(Failed.of(error))
            return
        fields: dict[str, Any] = {
            "name": self.schedule_name,
            "cron": self.schedule_cron,
            "timezone": self.schedule_timezone,
            "recipients": split_recipients(self.schedule_recipients),
            "format": self.schedule_format,
            "only_if": only_if,
        }
        editing, query_id = self.schedule_editing, self.schedule_query_id
        self.schedule_saving = True
        yield
        if editing:
            saved = await self._call_service(
                lambda session, user: public_schedule(schedules.update_schedule(session, user, editing, fields))
            )
        else:
            saved = await self._call_service(
                lambda session, user: public_schedule(
                    schedules.create_schedule(
                        session, user, query_id=query_id, cron_expression=fields["cron"],
                        timezone=fields["timezone"], recipients=fields["recipients"], format=fields["format"],
                        name=fields["name"], only_if=fields["only_if"],
                    )
                )
            )
        self.schedule_saving = False
        if isinstance(saved, Failed):
            self._show_schedule_error(saved)
            if saved.signed_out:
                yield saved.event
            return
        self.schedule_open = False
        yield self._schedule_saved(saved, created=not editing)
