"""/schedules: the user's schedules with their timing, recipients and last run; turn on or off, Run now,
edit (the shared dialog), delete, and each schedule's run history.

Every handler calls the functions /api/schedules calls. After Run now the page watches the run in a
background event until it is sent, skipped or failed, so its outcome appears without a reload.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import Any

import reflex as rx
from sqlmodel import Session

from lumiere.core.enums import RunStatus, RunTrigger
from lumiere.core.text import plural
from lumiere.models import User
from lumiere.services import schedules, sources
from lumiere.services.schedules import RunView, ScheduleView, public_run, public_schedule
from lumiere.state.arguments import INVALID_LINK, MAX_LABEL_CHARS, NOT_A_PAGE, bounded_text, clamped, positive_id
from lumiere.state.auth import AuthState
from lumiere.state.display import local_time
from lumiere.state.schedule_form import FORMAT_LABELS, ScheduleFormMixin, condition_text, in_sentence
from lumiere.state.service_calls import Failed

PAGE_SIZE = 50
RUNS_SHOWN = 20
WATCH_EVERY_S = 1.0
WATCH_ROUNDS = 180  # a run has its own timeout; the page stops watching after three minutes
UNFINISHED = (RunStatus.QUEUED.value, RunStatus.RUNNING.value)
STATUS_LABELS = {
    RunStatus.QUEUED.value: "Queued",
    RunStatus.RUNNING.value: "Running",
    RunStatus.SENT.value: "Sent",
    RunStatus.SKIPPED.value: "Skipped",
    RunStatus.FAILED.value: "Failed",
}


@dataclass(frozen=True)
class ScheduleRow:
    """A schedule as the list shows it (times in its own zone; "" means "not shown", and the question is
    shown only when the name is not the question itself)."""

    id: int
    name: str
    question: str
    source: str
    cron: str
    cron_text: str
    timezone: str
    recipients: str
    recipient_count: int
    format: str
    condition: str
    enabled: bool
    next_run: str
    last_run: str
    last_status: str
    last_status_label: str


@dataclass(frozen=True)
class RunRow:
    id: int
    status: str
    status_label: str
    trigger: str
    started: str
    finished: str
    rows: str
    error: str


@dataclass(frozen=True)
class SchedulesPage:
    rows: list[ScheduleRow]
    total: int
    email_configured: bool


@dataclass(frozen=True)
class RunsPanel:
    schedule_id: int
    rows: list[RunRow]
    total: int


def schedule_row(view: ScheduleView, source_names: dict[int, str]) -> ScheduleRow:
    status = str(view.last_status or "")
    return ScheduleRow(
        id=view.id,
        name=view.name,
        question=view.question if view.question != view.name else "",  # not said twice
        source=source_names.get(view.source_id or 0, "deleted source"),
        cron=view.cron,
        cron_text=view.cron_text,
        timezone=view.timezone,
        recipients=", ".join(view.recipients),
        recipient_count=len(view.recipients),
        format=FORMAT_LABELS.get(str(view.format), str(view.format)),
        condition=condition_text(view.only_if),
        enabled=view.enabled,
        next_run=local_time(view.next_run_at, view.timezone) if view.enabled else "",
        last_run=local_time(view.last_run_at, view.timezone),
        last_status=status,
        last_status_label=STATUS_LABELS.get(status, status),
    )


def _finished(started: str, finished: str) -> str:
    """The end of a run; only its time when it ended the day it started ("Mon 3 Mar 2025, 08:00 CET" → "08:01 CET")."""
    day, _, clock = finished.rpartition(", ")
    return clock if day and started.startswith(day + ",") else finished


def run_row(view: RunView, timezone: str) -> RunRow:
    status = str(view.status)
    started = local_time(view.started_at, timezone)
    return RunRow(
        id=view.id,
        status=status,
        status_label=STATUS_LABELS.get(status, status),
        trigger="Run now" if view.trigger == RunTrigger.MANUAL else "On schedule",
        started=started or ("Waiting to start" if status in UNFINISHED else ""),
        finished=_finished(started, local_time(view.finished_at, timezone)),
        rows=plural(view.row_count, "row") if view.row_count is not None else "",
        error=view.error or "",
    )


def _schedules_page(session: Session, user: User, page: int, space: int | None) -> SchedulesPage:
    """The chosen space's schedules (the personal space, or a workspace the user belongs to)."""
    items, total = schedules.list_schedules(session, user, page=page, page_size=PAGE_SIZE, workspace_id=space)
    names = {source.id or 0: source.name for source in sources.list_sources(session, user, space)}
    return SchedulesPage([schedule_row(public_schedule(item), names) for item in items], total,
                         schedules.email_configured())


def _runs_panel(session: Session, user: User, schedule_id: int) -> RunsPanel:
    timezone = schedules.get_schedule(session, user, schedule_id).timezone
    runs, total = schedules.list_runs(session, user, schedule_id, page_size=RUNS_SHOWN)
    return RunsPanel(schedule_id, [run_row(public_run(run), timezone) for run in runs], total)


def _page_and_runs(
    session: Session, user: User, page: int, schedule_id: int, space: int | None = None
) -> tuple[SchedulesPage, RunsPanel | None]:
    listed = _schedules_page(session, user, page, space)
    shown = {row.id for row in listed.rows}
    return listed, _runs_panel(session, user, schedule_id) if schedule_id in shown else None


class SchedulesState(ScheduleFormMixin, AuthState):
    items: list[ScheduleRow] = []
    total: int = 0
    page: int = 1
    loaded: bool = False
    email_configured: bool = True
    list_error: str = ""
    expanded_id: int = 0  # the schedule whose run history is open
    runs: list[RunRow] = []
    runs_total: int = 0
    deleting_id: int = 0
    deleting_name: str = ""
    _watching: bool = False

    @rx.var
    def page_count(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @rx.var
    def confirming_delete(self) -> bool:
        return self.deleting_id > 0

    def _schedule_saved(self, view: ScheduleView, created: bool) -> Any:
        return [SchedulesState.refresh, rx.toast.success(f"Schedule '{view.name}' saved.")]

    def _show(self, listed: SchedulesPage, panel: RunsPanel | None) -> None:
        self.items, self.total, self.email_configured = listed.rows, listed.total, listed.email_configured
        self.loaded, self.list_error = True, ""
        if panel is None:
            self.expanded_id, self.runs, self.runs_total = 0, [], 0
        elif panel.schedule_id == self.expanded_id:
            self.runs, self.runs_total = panel.rows, panel.total

    async def _reload(self) -> Any:
        page, expanded, space = self.page, self.expanded_id, self._space()
        loaded = await self._call_service(lambda session, user: _page_and_runs(session, user, page, expanded, space))
        if isinstance(loaded, Failed):
            self.list_error = loaded.message
            return loaded.unless_shown_inline()
        self._show(*loaded)
        if self.page > 1 and not self.items and self.total:
            self.page = self.page_count
            return await self._reload()
        return None

    @rx.event
    async def load(self):
        self.page, self.expanded_id, self.runs = 1, 0, []
        self.schedule_open = False
        return await self._reload()

    @rx.event
    async def refresh(self):
        return await self._reload()

    @rx.event
    async def go_to_page(self, page: int):
        wanted = clamped(page, 1, self.page_count)
        if wanted is None:
            return rx.toast.error(NOT_A_PAGE)
        self.page, self.expanded_id = wanted, 0
        return await self._reload()

    @rx.event
    async def toggle_runs(self, schedule_id: int | str):
        """Opens a schedule's run history (closing the one open), or closes it."""
        wanted = positive_id(schedule_id)
        if wanted is None:
            return rx.toast.error(INVALID_LINK)
        if self.expanded_id == wanted:
            self.expanded_id, self.runs, self.runs_total = 0, [], 0
            return None
        panel = await self._call_service(lambda session, user: _runs_panel(session, user, wanted))
        if isinstance(panel, Failed):
            return [panel.event, SchedulesState.refresh]
        self.expanded_id, self.runs, self.runs_total = wanted, panel.rows, panel.total
        return SchedulesState.watch_runs if any(row.status in UNFINISHED for row in panel.rows) else None

    @rx.event
    async def set_enabled(self, schedule_id: int | str, enabled: Any):
        wanted = positive_id(schedule_id)
        if wanted is None or not isinstance(enabled, bool):
            return rx.toast.error(INVALID_LINK)
        change = {"enabled": enabled}
        changed = await self._call_service(
            lambda session, user: public_schedule(schedules.update_schedule(session, user, wanted, change))
        )
        if isinstance(changed, Failed):
            return [changed.event, SchedulesState.refresh]
        reloaded = await self._reload()
        if reloaded is not None:
            return reloaded
        if changed.enabled:
            return rx.toast.success(f"'{changed.name}' is on: {in_sentence(changed.cron_text)} ({changed.timezone}).")
        return rx.toast.info(f"'{changed.name}' is off: it does not run until you turn it back on.")

    @rx.event
    async def run_now(self, schedule_id: int | str):
        """Queues a run outside the timetable, opens the schedule's runs and watches it finish."""
        wanted = positive_id(schedule_id)
        if wanted is None:
            return rx.toast.error(INVALID_LINK)
        queued = await self._call_service(lambda session, user: public_run(schedules.run_now(session, user, wanted)))
        if isinstance(queued, Failed):
            return [queued.event, SchedulesState.refresh]
        self.expanded_id = wanted
        reloaded = await self._reload()
        if reloaded is not None:
            return reloaded
        note = "" if self.email_configured else " Email is not configured, so it runs without sending."
        return [rx.toast.success(f"Run queued: its result appears in the run history below.{note}"),
                SchedulesState.watch_runs]

    @rx.event(background=True)
    async def watch_runs(self):
        """Refreshes the list and the open run history until no run there is queued or running."""
        async with self:
            if self._watching:
                return None
            self._watching = True
        try:
            for _ in range(WATCH_ROUNDS):
                await asyncio.sleep(WATCH_EVERY_S)
                async with self:
                    page, expanded, space = self.page, self.expanded_id, self._space()
                loaded = await self._call_service(
                    partial(_page_and_runs, page=page, schedule_id=expanded, space=space)
                )
                if isinstance(loaded, Failed):
                    return loaded.unless_shown_inline()
                async with self:
                    if (self.page, self.expanded_id) == (page, expanded):
                        self._show(*loaded)
                    busy = any(row.status in UNFINISHED for row in self.runs) or any(
                        row.last_status in UNFINISHED for row in self.items
                    )
                if not busy:
                    return None
            return None
        finally:
            async with self:
                self._watching = False

    @rx.event
    def ask_delete(self, schedule_id: int | str, name: str):
        wanted = positive_id(schedule_id)
        if wanted is None:
            return rx.toast.error(INVALID_LINK)
        self.deleting_id, self.deleting_name = wanted, bounded_text(name, MAX_LABEL_CHARS)
        return None

    @rx.event
    def cancel_delete(self):
        self.deleting_id, self.deleting_name = 0, ""

    @rx.event
    async def confirm_delete(self):
        schedule_id, name = self.deleting_id, self.deleting_name
        self.deleting_id, self.deleting_name = 0, ""
        if not schedule_id:
            return None
        deleted = await self._call_service(
            lambda session, user: schedules.delete_schedule(session, user, schedule_id)
        )
        if isinstance(deleted, Failed):
            return [deleted.event, SchedulesState.refresh]
        if self.expanded_id == schedule_id:
            self.expanded_id, self.runs, self.runs_total = 0, [], 0
        reloaded = await self._reload()
        return reloaded or rx.toast.success(f"Schedule '{name}' deleted, with its run history.")
