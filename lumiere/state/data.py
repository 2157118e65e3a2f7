"""The Data page: the user's sources, the sample dataset and database connections."""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from lumiere import routes
from lumiere.core.text import plural
from lumiere.models import User
from lumiere.services import connections, sources
from lumiere.services.connections import DEFAULT_PORTS
from lumiere.state.arguments import form_text, one_of
from lumiere.state.auth import AuthState
from lumiere.state.display import SourceRow, source_row
from lumiere.state.service_calls import Failed


def _connection_params(form_data: dict[str, Any], kind: str) -> dict[str, Any]:
    """The connection form's fields as the connections service takes them (it checks each one)."""
    port_text = form_text(form_data, "port").strip()
    return {
        "kind": kind,
        "host": form_text(form_data, "host").strip(),
        "port": int(port_text) if port_text.isascii() and port_text.isdigit() else port_text,
        "database": form_text(form_data, "database").strip(),
        "user": form_text(form_data, "user").strip(),
        "password": form_text(form_data, "password"),
        "schema": form_text(form_data, "schema").strip() or None,
    }


CONNECTION_REQUIRED = ("host", "port", "database", "user")


def missing_fields(form_data: dict[str, Any], required: tuple[str, ...]) -> list[str]:
    """The required fields a submitted form left empty (blank counts as empty)."""
    return [name for name in required if not form_text(form_data, name).strip()]


def _table_summary(table: dict[str, Any]) -> str:
    rows = table.get("row_count")
    columns = len(table.get("columns", []))
    parts = [plural(columns, "column")]
    if isinstance(rows, int):
        parts.append(plural(rows, "row"))
    return f"{table['name']} ({', '.join(parts)})"


def _source_rows(session: Session, user: User, space: int | None = None) -> list[SourceRow]:
    """The current space's sources."""
    return [source_row(sources.public_source(source)) for source in sources.list_sources(session, user, space)]


class DataState(AuthState):
    source_list: list[SourceRow] = []
    loaded: bool = False
    sample_loading: bool = False

    connect_open: bool = False
    connect_kind: str = "postgresql"
    connect_intent: str = "test"
    connect_busy: bool = False
    connect_error: str = ""
    connect_tables: list[str] = []
    connect_missing: list[str] = []  # required fields left empty, each shown with its own error

    @rx.var
    def default_port(self) -> str:
        return str(DEFAULT_PORTS.get(self.connect_kind, ""))

    async def _refresh(self) -> Failed | None:
        space = self._space()
        rows = await self._call_service(lambda session, user: _source_rows(session, user, space))
        if isinstance(rows, Failed):
            return rows
        async with self:
            self.source_list = rows
            self.loaded = True
        return None

    @rx.event
    async def load(self):
        failed = await self._refresh()
        return failed.event if failed else None

    @rx.event(background=True)
    async def load_sample(self):
        async with self:
            if self.sample_loading:
                return None
            self.sample_loading = True
        space = self._space()
        loaded = await self._call_service(
            lambda session, user: sources.public_source(sources.load_sample_dataset(session, user, space))
        )
        if isinstance(loaded, Failed):
            async with self:
                self.sample_loading = False
            return loaded.event
        await self._refresh()
        async with self:
            self.sample_loading = False
        return [
            rx.toast.success(f"Sample dataset '{loaded['name']}' is ready: {loaded['row_count']:,} rows."),
            rx.redirect(routes.source_url(loaded["id"])),
        ]

    @rx.event
    def open_connect(self):
        self.connect_open = True
        self.connect_error = ""
        self.connect_tables = []

    @rx.event
    def close_connect(self):
        self.connect_open = False
        self.connect_busy = False

    @rx.event
    def set_connect_open(self, is_open: bool):
        self.connect_open = is_open is True

    @rx.event
    def set_connect_kind(self, kind: str):
        if one_of(kind, DEFAULT_PORTS) is not None:
            self.connect_kind = kind
            self.connect_tables = []
            self.connect_error = ""

    @rx.event
    def set_connect_intent(self, intent: str):
        self.connect_intent = "save" if intent == "save" else "test"

    @rx.event(background=True)
    async def submit_connection(self, form_data: dict):
        """Test or save, depending on the button pressed; the password lives only in this call."""
        async with self:
            intent, kind = self.connect_intent, self.connect_kind
            self.connect_error = ""
            self.connect_missing = missing_fields(form_data, CONNECTION_REQUIRED)
            if intent == "test":
                self.connect_tables = []
            if self.connect_missing:
                return None
            self.connect_busy = True
        params = _connection_params(form_data, kind)
        if intent == "test":
            checked = await self._call_service(lambda session, user: connections.test_connection(params))
            if isinstance(checked, Failed):
                return await self._connection_failed(checked)
            async with self:
                self.connect_busy = False
                self.connect_tables = [_table_summary(table) for table in checked.tables]
            return None
        name = form_text(form_data, "name").strip()
        space = self._space()
        saved = await self._call_service(
            lambda session, user: sources.public_source(
                connections.create_connection(session, user, params, name=name or None, workspace_id=space)
            )
        )
        if isinstance(saved, Failed):
            return await self._connection_failed(saved)
        async with self:
            self.connect_busy = False
            self.connect_open = False
        await self._refresh()
        return [
            rx.toast.success(f"Connection '{saved['name']}' saved."),
            rx.redirect(routes.source_url(saved["id"])),
        ]

    async def _connection_failed(self, failed: Failed):
        async with self:
            self.connect_busy = False
            self.connect_error = failed.message
        return failed.unless_shown_inline()
