"""The History page: every question, SQL edit and re-run, searchable and filterable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import reflex as rx
from sqlmodel import Session

from lumiere import routes
from lumiere.core.enums import QueryStatus
from lumiere.core.text import plural
from lumiere.models import User
from lumiere.services import history, sources, workspaces
from lumiere.state.arguments import (
    INVALID_LINK,
    MAX_LABEL_CHARS,
    NOT_A_PAGE,
    bounded_text,
    clamped,
    one_of,
    positive_id,
)
from lumiere.state.auth import AuthState
from lumiere.state.display import STATUS_LABELS, SourceOption, kind_label, short_time
from lumiere.state.schedule_form import ScheduleFormMixin
from lumiere.state.service_calls import Failed

PAGE_SIZE = 20
ANY = "all"
ORIGIN_LABELS = {"question": "Question", "sql": "Edited SQL", "rerun": "Re-run"}


@dataclass(frozen=True)
class HistoryRow:
    """One history entry as the list shows it (all text; empty text means "not shown")."""

    id: str
    question: str
    sql: str
    status: str
    status_label: str
    error: str
    source_name: str
    source_gone: str
    origin: str
    rows: str
    duration: str
    created: str
    asked_by: str = ""  # someone else's question in a workspace's history


def history_row(entry: history.HistoryEntry) -> HistoryRow:
    """One history entry as the list shows it (all text)."""
    sql = " ".join((entry.sql or "").split())
    return HistoryRow(
        id=str(entry.id),
        question=entry.question or "(SQL written by hand)",
        sql=sql if len(sql) <= 160 else sql[:159] + "…",
        status=str(entry.status),
        status_label=STATUS_LABELS.get(entry.status, entry.status),
        error=entry.error or "",
        source_name=entry.source_name or "",
        source_gone="" if entry.source_exists else "gone",
        origin=ORIGIN_LABELS.get(entry.origin or "", ""),
        rows=plural(entry.row_count, "row") if entry.status == "ok" and entry.row_count is not None else "",
        duration=f"{entry.duration_ms:,} ms" if entry.duration_ms is not None else "",
        created=short_time(entry.created_at),
        asked_by=entry.created_by or "",
    )


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if isinstance(text, str) and text else None
    except ValueError:
        return None


def _history_page(
    session: Session, user: User, filters: history.HistoryFilter, page: int, space: int | None = None
) -> tuple[list[HistoryRow], list[SourceOption], int]:
    """One page of one space's history as the list shows it, the sources the filter offers, and the total."""
    entries, total = history.list_queries(
        session, user, filters, page=page, page_size=PAGE_SIZE, workspace_id=space
    )
    live = history.live_source_ids(session, user)
    names = workspaces.others_names(session, user, entries)
    items = [
        history_row(
            history.public_query(entry, source_exists=entry.source_id in live, created_by=names.get(entry.user_id))
        )
        for entry in entries
    ]
    offered = [
        SourceOption(id=str(source.id), name=source.name, kind=kind_label(source.kind))
        for source in sources.list_sources(session, user, space)
    ]
    return items, offered, total


class HistoryState(ScheduleFormMixin, AuthState):
    items: list[HistoryRow] = []
    total: int = 0
    page: int = 1
    loaded: bool = False
    search: str = ""
    source_filter: str = ANY
    status_filter: str = ANY
    date_from: str = ""
    date_to: str = ""
    filter_error: str = ""
    filter_sources: list[SourceOption] = []
    pending_delete: int = 0
    pending_delete_question: str = ""

    @rx.var
    def total_label(self) -> str:
        return plural(self.total, "entry")

    @rx.var
    def page_count(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @rx.var
    def filtered(self) -> bool:
        return (
            bool(self.search or self.date_from or self.date_to)
            or self.source_filter != ANY
            or self.status_filter != ANY
        )

    @rx.var
    def confirming_delete(self) -> bool:
        return self.pending_delete > 0

    def _filters(self) -> history.HistoryFilter:
        return history.HistoryFilter(
            search=self.search.strip() or None,
            source_id=positive_id(self.source_filter),
            status=QueryStatus(self.status_filter) if self.status_filter in history.STATUSES else None,
            date_from=_parse_day(self.date_from),
            date_to=_parse_day(self.date_to),
        )

    async def _refresh(self):
        filters, page = self._filters(), self.page
        space = self._space()
        listed = await self._call_service(lambda session, user: _history_page(session, user, filters, page, space))
        if isinstance(listed, Failed):
            self.filter_error = listed.message
            return listed.unless_shown_inline()
        self.items, self.filter_sources, total = listed
        self.filter_error = ""
        self.total = total
        self.loaded = True
        if self.page > 1 and not self.items and total:
            self.page = self.page_count
            return await self._refresh()
        return None

    @rx.event
    async def load(self):
        self.page = 1
        self.schedule_open = False
        return await self._refresh()

    @rx.event
    async def set_search(self, text: str):
        self.search = bounded_text(text, history.MAX_SEARCH_CHARS)
        self.page = 1
        return await self._refresh()

    @rx.event
    async def set_source_filter(self, value: str):
        self.source_filter = value if value == ANY or positive_id(value) else ANY
        self.page = 1
        return await self._refresh()

    @rx.event
    async def set_status_filter(self, value: str):
        self.status_filter = one_of(value, (ANY, *history.STATUSES)) or ANY
        self.page = 1
        return await self._refresh()

    @rx.event
    async def set_date_from(self, value: str):
        self.date_from = value if _parse_day(value) else ""
        self.page = 1
        return await self._refresh()

    @rx.event
    async def set_date_to(self, value: str):
        self.date_to = value if _parse_day(value) else ""
        self.page = 1
        return await self._refresh()

    @rx.event
    async def clear_filters(self):
        self.search = self.date_from = self.date_to = ""
        self.source_filter = self.status_filter = ANY
        self.page = 1
        return await self._refresh()

    @rx.event
    async def go_to_page(self, page: int):
        wanted = clamped(page, 1, self.page_count)
        if wanted is None:
            return rx.toast.error(NOT_A_PAGE)
        self.page = wanted
        return await self._refresh()

    @rx.event
    def rerun(self, query_id: str):
        wanted = positive_id(query_id)
        if wanted is None:
            return rx.toast.error(INVALID_LINK)
        return rx.redirect(routes.rerun_url(wanted))

    @rx.event
    def edit(self, query_id: str):
        wanted = positive_id(query_id)
        if wanted is None:
            return rx.toast.error(INVALID_LINK)
        return rx.redirect(routes.edit_url(wanted))

    @rx.event
    def ask_delete(self, query_id: str, question: str):
        wanted = positive_id(query_id)
        if wanted is None:
            return rx.toast.error(INVALID_LINK)
        self.pending_delete = wanted
        self.pending_delete_question = bounded_text(question, MAX_LABEL_CHARS)
        return None

    @rx.event
    def cancel_delete(self):
        self.pending_delete = 0
        self.pending_delete_question = ""

    @rx.event
    async def confirm_delete(self):
        query_id, self.pending_delete = self.pending_delete, 0
        deleted = await self._call_service(lambda session, user: history.delete_query(session, user, query_id))
        if isinstance(deleted, Failed):
            return deleted.event
        refreshed = await self._refresh()
        return refreshed or rx.toast.success("History entry deleted.")
