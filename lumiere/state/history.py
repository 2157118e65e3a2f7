"""The History page: every question, SQL edit and re-run, searchable and filterable."""

from __future__ import annotations

from datetime import date

import reflex as rx

from lumiere.db import session_scope
from lumiere.services import history, sources
from lumiere.services.errors import ServiceError
from lumiere.state.auth import AuthState
from lumiere.state.display import STATUS_LABELS, human_count, short_time

PAGE_SIZE = 20
ANY = "all"
ORIGIN_LABELS = {"question": "Question", "sql": "Edited SQL", "rerun": "Re-run"}


def history_row(entry: dict) -> dict[str, str]:
    """One history entry as the list shows it (all text)."""
    sql = " ".join((entry.get("sql") or "").split())
    return {
        "id": str(entry["id"]),
        "question": entry.get("question") or "(SQL written by hand)",
        "sql": sql if len(sql) <= 160 else sql[:159] + "…",
        "status": entry["status"],
        "status_label": STATUS_LABELS.get(entry["status"], entry["status"]),
        "error": entry.get("error") or "",
        "source_name": entry.get("source_name") or "",
        "source_gone": "" if entry.get("source_exists", True) else "gone",
        "origin": ORIGIN_LABELS.get(entry.get("origin") or "", ""),
        "rows": human_count(entry.get("row_count")) if entry["status"] == "ok" else "",
        "duration": f"{entry['duration_ms']:,} ms" if entry.get("duration_ms") is not None else "",
        "created": short_time(entry.get("created_at")),
    }


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


class HistoryState(AuthState):
    items: list[dict[str, str]] = []
    total: int = 0
    page: int = 1
    loaded: bool = False
    search: str = ""
    source_filter: str = ANY
    status_filter: str = ANY
    date_from: str = ""
    date_to: str = ""
    filter_error: str = ""
    filter_sources: list[dict[str, str]] = []
    pending_delete: int = 0
    pending_delete_question: str = ""

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
            source_id=int(self.source_filter) if self.source_filter.isdigit() else None,
            status=self.status_filter if self.status_filter in history.STATUSES else None,
            date_from=_parse_day(self.date_from),
            date_to=_parse_day(self.date_to),
        )

    def _refresh(self):
        user = self._authorized_user()
        if user is None:
            return self._login_redirect()
        try:
            with session_scope() as session:
                entries, total = history.list_queries(
                    session, user, self._filters(), page=self.page, page_size=PAGE_SIZE
                )
                live = history.live_source_ids(session, user)
                self.items = [
                    history_row(history.public_query(entry, source_exists=entry.source_id in live)) for entry in entries
                ]
                self.filter_sources = [
                    {"id": str(source.id), "name": source.name} for source in sources.list_sources(session, user)
                ]
        except ServiceError as error:
            self.filter_error = error.detail
            return None
        self.filter_error = ""
        self.total = total
        self.loaded = True
        if self.page > 1 and not self.items and total:
            self.page = self.page_count
            return self._refresh()
        return None

    @rx.event
    def load(self):
        self.page = 1
        return self._refresh()

    @rx.event
    def set_search(self, text: str):
        self.search = text[: history.MAX_SEARCH_CHARS]
        self.page = 1
        return self._refresh()

    @rx.event
    def set_source_filter(self, value: str):
        self.source_filter = value if value == ANY or value.isdigit() else ANY
        self.page = 1
        return self._refresh()

    @rx.event
    def set_status_filter(self, value: str):
        self.status_filter = value if value == ANY or value in history.STATUSES else ANY
        self.page = 1
        return self._refresh()

    @rx.event
    def set_date_from(self, value: str):
        self.date_from = value if _parse_day(value) else ""
        self.page = 1
        return self._refresh()

    @rx.event
    def set_date_to(self, value: str):
        self.date_to = value if _parse_day(value) else ""
        self.page = 1
        return self._refresh()

    @rx.event
    def clear_filters(self):
        self.search = self.date_from = self.date_to = ""
        self.source_filter = self.status_filter = ANY
        self.page = 1
        return self._refresh()

    @rx.event
    def go_to_page(self, page: int):
        self.page = min(max(1, page), self.page_count)
        return self._refresh()

    @rx.event
    def rerun(self, query_id: str):
        return rx.redirect(f"/query?rerun={int(query_id)}")

    @rx.event
    def ask_delete(self, query_id: str, question: str):
        self.pending_delete = int(query_id) if query_id.isdigit() else 0
        self.pending_delete_question = question

    @rx.event
    def cancel_delete(self):
        self.pending_delete = 0
        self.pending_delete_question = ""

    @rx.event
    def confirm_delete(self):
        user = self._authorized_user()
        if user is None:
            return self._login_redirect()
        query_id, self.pending_delete = self.pending_delete, 0
        try:
            with session_scope() as session:
                history.delete_query(session, user, query_id)
        except ServiceError as error:
            return rx.toast.error(error.detail)
        refreshed = self._refresh()
        return refreshed or rx.toast.success("History entry deleted.")
