"""The Data pages: the sources list (with the sample dataset and database connections), uploads, and one source.

Uploads stream: Reflex hands the background handler the request's chunks as they arrive and the
sources service writes them to its private folder, enforcing the size limit as it goes. Nothing
is written to Reflex's public upload folder.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import urlencode

import reflex as rx

from lumiere.config import get_settings
from lumiere.db import session_scope
from lumiere.models import User
from lumiere.services import connections, sources
from lumiere.services.connections import DEFAULT_PORTS
from lumiere.services.errors import ServiceError, Unavailable
from lumiere.state.auth import AuthState
from lumiere.state.display import human_count, human_size, source_row
from lumiere.state.result_table import format_cell
from lumiere.state.service_calls import in_thread, with_user_session

ACCEPTED_EXTENSIONS = (".csv", ".tsv", ".txt")
# react-dropzone checks the extension (and the browser's MIME guess) before anything is sent.
ACCEPT = {"text/csv": [".csv"], "text/tab-separated-values": [".tsv"], "text/plain": [".txt"]}
PROGRESS_EVERY_S = 0.25

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------
# The sources list, the sample dataset and database connections
# ---------------------------------------------------------------------------------------


def _connection_params(form_data: dict[str, Any], kind: str) -> dict[str, Any]:
    port_text = str(form_data.get("port", "")).strip()
    return {
        "kind": kind,
        "host": str(form_data.get("host", "")).strip(),
        "port": int(port_text) if port_text.isdigit() else port_text,
        "database": str(form_data.get("database", "")).strip(),
        "user": str(form_data.get("user", "")).strip(),
        "password": str(form_data.get("password", "")),
        "schema": str(form_data.get("schema", "")).strip() or None,
    }


def _table_summary(table: dict[str, Any]) -> str:
    rows = table.get("row_count")
    columns = len(table.get("columns", []))
    parts = [f"{columns} column{'' if columns == 1 else 's'}"]
    if isinstance(rows, int):
        parts.append(f"{rows:,} row{'' if rows == 1 else 's'}")
    return f"{table['name']} ({', '.join(parts)})"


class DataState(AuthState):
    source_list: list[dict[str, str]] = []
    loaded: bool = False
    sample_loading: bool = False

    connect_open: bool = False
    connect_kind: str = "postgresql"
    connect_intent: str = "test"
    connect_busy: bool = False
    connect_error: str = ""
    connect_tables: list[str] = []

    @rx.var
    def default_port(self) -> str:
        return str(DEFAULT_PORTS.get(self.connect_kind, ""))

    def _refresh(self, user: User) -> None:
        with session_scope() as session:
            self.source_list = [
                source_row(sources.public_source(source)) for source in sources.list_sources(session, user)
            ]
        self.loaded = True

    @rx.event
    def load(self):
        user = self._authorized_user()
        if user is None:
            return self._login_redirect()
        self._refresh(user)
        return None

    @rx.event(background=True)
    async def load_sample(self):
        async with self:
            user = self._authorized_user()
            if user is None:
                return self._login_redirect()
            if self.sample_loading:
                return None
            self.sample_loading = True
        try:
            loaded = await in_thread(
                user.id, lambda session, user: sources.public_source(sources.load_sample_dataset(session, user))
            )
        except ServiceError as error:
            async with self:
                self.sample_loading = False
            return rx.toast.error(error.detail)
        async with self:
            self.sample_loading = False
            self._refresh(user)
        return [
            rx.toast.success(f"Sample dataset '{loaded['name']}' is ready: {loaded['row_count']:,} rows."),
            rx.redirect(f"/data/{loaded['id']}"),
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
        self.connect_open = is_open

    @rx.event
    def set_connect_kind(self, kind: str):
        if kind in DEFAULT_PORTS:
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
            user = self._authorized_user()
            if user is None:
                return self._login_redirect()
            intent, kind = self.connect_intent, self.connect_kind
            self.connect_busy = True
            self.connect_error = ""
            if intent == "test":
                self.connect_tables = []
        params = _connection_params(form_data, kind)
        name = str(form_data.get("name", "")).strip()
        try:
            if intent == "save":
                saved = await in_thread(
                    user.id,
                    lambda session, user: sources.public_source(
                        connections.create_connection(session, user, params, name=name or None)
                    ),
                )
            else:
                tested = await in_thread(user.id, lambda session, user: connections.test_connection(params))
        except ServiceError as error:
            async with self:
                self.connect_busy = False
                self.connect_error = error.detail
            return None
        async with self:
            self.connect_busy = False
            if intent == "test":
                self.connect_tables = [_table_summary(table) for table in tested.tables]
                return None
            self.connect_open = False
            self._refresh(user)
        return [rx.toast.success(f"Connection '{saved['name']}' saved."), rx.redirect(f"/data/{saved['id']}")]


# ---------------------------------------------------------------------------------------
# Uploads
# ---------------------------------------------------------------------------------------


def _base_name(filename: str) -> str:
    """A dropped folder's files arrive as 'folder/file.csv'; the source is named after the file alone."""
    return PureWindowsPath(PurePosixPath(filename).name).name or filename


def _extension_ok(filename: str) -> bool:
    return filename.lower().endswith(ACCEPTED_EXTENSIONS)


class _FileStreams:
    """Splits Reflex's one stream of upload chunks into one byte stream per file, in upload order.

    A new file starts where the filename changes or the offset drops back to 0 (two files with
    the same name); whatever a consumer leaves unread of its file is skipped before the next.
    """

    def __init__(self, chunks: AsyncIterator[Any]) -> None:
        self._chunks = chunks
        self._lookahead: Any = None
        self._exhausted = False
        self._current: str | None = None
        self._current_started = False

    async def _pull(self) -> Any:
        if self._lookahead is not None:
            chunk, self._lookahead = self._lookahead, None
            return chunk
        if self._exhausted:
            return None
        try:
            return await anext(self._chunks)
        except StopAsyncIteration:
            self._exhausted = True
            return None

    async def next_file(self) -> str | None:
        """The next file's name, after skipping what is left of the current one."""
        if self._current is not None:
            async for _ in self.file_bytes():
                pass
        chunk = await self._pull()
        if chunk is None:
            self._current = None
            return None
        self._lookahead = chunk
        self._current, self._current_started = chunk.filename, False
        return chunk.filename

    async def file_bytes(self) -> AsyncIterator[bytes]:
        """The rest of the current file's bytes (empty once it has been read)."""
        while self._current is not None:
            chunk = await self._pull()
            if chunk is None:
                return
            if chunk.filename != self._current or (self._current_started and chunk.offset == 0):
                self._lookahead = chunk
                return
            self._current_started = True
            if chunk.data:
                yield chunk.data


class UploadState(AuthState):
    uploads: list[dict[str, Any]] = []
    uploading: bool = False
    max_upload_bytes: int = get_settings().max_upload_bytes

    @rx.var
    def max_upload_label(self) -> str:
        return human_size(self.max_upload_bytes)

    @rx.event
    def load(self):
        if self._authorized_user() is None:
            return self._login_redirect()
        self.max_upload_bytes = get_settings().max_upload_bytes
        return None

    @rx.event
    def clear_finished(self):
        self.uploads = [item for item in self.uploads if item["status"] in ("waiting", "uploading", "reading")]

    @rx.event
    def files_rejected(self, rejections: list[dict]):
        """Files the browser already refused (type or size); the server would refuse them the same way.

        Only each file's name, size and error codes come here (see `rejected_files_meta`), never its bytes.
        """
        for rejection in rejections:
            name = _base_name(str(rejection.get("name") or "file"))
            codes = {str(code) for code in rejection.get("codes") or []}
            if "file-invalid-type" in codes or not _extension_ok(name):
                message = "Only .csv, .tsv and .txt files can be uploaded."
            elif "file-too-large" in codes:
                message = f"This file is larger than the {self.max_upload_label} limit."
            else:
                message = "This file was not accepted; upload .csv, .tsv or .txt files one by one."
            size = rejection.get("size")
            self.uploads.insert(0, self._row(name, size if isinstance(size, int) else 0, "error", message))

    def _row(self, name: str, size: int, status: str, message: str = "") -> dict[str, Any]:
        return {
            "key": f"{time.monotonic_ns()}-{len(self.uploads)}",
            "name": name,
            "size": size,
            "size_label": human_size(size) if size else "",
            "received": 0,
            "percent": 0,
            "status": status,
            "message": message,
            "source_id": "",
            "source_name": "",
        }

    def _update(self, key: str, **changes: Any) -> None:
        for index, item in enumerate(self.uploads):
            if item["key"] == key:
                self.uploads[index] = {**item, **changes}
                return

    @rx.event(background=True)
    async def receive_upload(self, chunks: rx.UploadChunkIterator, announced: list[dict]):
        """Streams each file into the sources service; progress, errors and results per file."""
        async with self:
            user = self._authorized_user()
            self.uploading = user is not None
            sizes = [int(item.get("size") or 0) for item in announced or []]
        streams = _FileStreams(chunks)
        if user is None:
            while await streams.next_file() is not None:
                pass  # the request's bytes are read and dropped
            return self._login_redirect()
        events: list[Any] = []
        try:
            position = 0
            while (filename := await streams.next_file()) is not None:
                size = sizes[position] if position < len(sizes) else 0
                position += 1
                events.append(await self._ingest_one(user, streams, filename, size))
        finally:
            async with self:
                self.uploading = False
                for item in self.uploads:
                    if item["status"] in ("uploading", "reading"):
                        self._update(
                            item["key"], status="error", message="The upload stopped before the end; try again."
                        )
        return events

    async def _ingest_one(self, user: User, streams: _FileStreams, filename: str, size: int) -> Any:
        name = _base_name(filename)
        async with self:
            row = self._row(name, size, "uploading")
            self.uploads.insert(0, row)
        key = row["key"]
        received = 0
        last_report = time.monotonic()

        async def counted() -> AsyncIterator[bytes]:
            nonlocal received, last_report
            async for data in streams.file_bytes():
                received += len(data)
                if time.monotonic() - last_report >= PROGRESS_EVERY_S:
                    last_report = time.monotonic()
                    async with self:
                        self._update(key, received=received, percent=_percent(received, size))
                yield data
            async with self:
                self._update(key, received=received, percent=100, status="reading", message="Reading the file…")

        try:
            async with aclosing(counted()) as stream:
                source = await _ingest(user, name, stream)
        except Exception as failure:  # noqa: BLE001  (one file's crash must not stop the others)
            error = failure if isinstance(failure, ServiceError) else _unexpected(failure)
            async with self:
                self._update(key, status="error", message=error.detail, percent=_percent(received, size))
            return rx.toast.error(f"{name}: {error.detail}")
        table = f" · table {source['table_name']}" if source.get("table_name") else ""
        async with self:
            self._update(
                key,
                status="done",
                percent=100,
                received=received,
                message=f"{source['row_count']:,} rows, {source.get('column_count', 0):,} columns{table}",
                source_id=str(source["id"]),
                source_name=source["name"],
            )
        return rx.toast.success(f"{name} is ready: {source['row_count']:,} rows.")


def _unexpected(failure: Exception) -> ServiceError:
    logger.error("An upload failed unexpectedly", exc_info=failure)
    return Unavailable("Something went wrong on our side while reading this file; try again.")


def _percent(received: int, size: int) -> int:
    return min(99, int(received * 100 / size)) if size else 0


async def _ingest(user: User, name: str, stream: AsyncIterator[bytes]) -> dict[str, Any]:
    """The session opens no transaction while bytes stream in, so a long upload holds no database snapshot."""
    with session_scope() as session:
        source = await sources.ingest_upload(session, user, filename=name, chunks=stream, name=None)
        return sources.public_source(source)


# ---------------------------------------------------------------------------------------
# One source
# ---------------------------------------------------------------------------------------

PREVIEW_PAGE_SIZE = 25


class SourceDetailState(AuthState):
    found: bool = False
    loaded: bool = False
    detail_id: int = 0
    detail_name: str = ""
    detail_kind: str = ""
    detail_summary: dict[str, str] = {}
    detail_tables: list[dict[str, Any]] = []
    detail_notes: list[str] = []
    detail_suggestions: list[dict[str, str]] = []
    profile_rows: list[dict[str, str]] = []
    profile_loading: bool = False
    preview_columns: list[str] = []
    preview_rows: list[list[str]] = []
    preview_total: int = 0
    preview_offset: int = 0
    preview_loading: bool = False
    preview_error: str = ""
    confirming_delete: bool = False

    @rx.var
    def preview_label(self) -> str:
        if not self.preview_total:
            return "No rows"
        last = min(self.preview_total, self.preview_offset + PREVIEW_PAGE_SIZE)
        return f"Rows {self.preview_offset + 1:,}-{last:,} of {self.preview_total:,}"

    @rx.var
    def has_previous_rows(self) -> bool:
        return self.preview_offset > 0

    @rx.var
    def has_more_rows(self) -> bool:
        return self.preview_offset + PREVIEW_PAGE_SIZE < self.preview_total

    @rx.event
    def load(self):
        user = self._authorized_user()
        if user is None:
            return self._login_redirect()
        raw_id = (self.router.url.path or "").rstrip("/").rsplit("/", 1)[-1]
        self.found = self.loaded = self.confirming_delete = False
        self.detail_id = int(raw_id) if raw_id.isdigit() and len(raw_id) <= 15 else 0
        self.profile_rows, self.preview_rows, self.preview_columns, self.detail_suggestions = [], [], [], []
        self.preview_offset = self.preview_total = 0
        self.preview_error = ""
        try:
            with session_scope() as session:
                detail = sources.public_source(sources.get_source(session, user, self.detail_id), detail=True)
        except ServiceError:
            self.loaded = True
            return None
        self._show_detail(detail)
        return [SourceDetailState.load_preview(0), SourceDetailState.load_profile]

    def _show_detail(self, detail: dict[str, Any]) -> None:
        row = source_row(detail)
        self.found = self.loaded = True
        self.detail_name = detail["name"]
        self.detail_kind = row["kind"]
        self.detail_summary = row
        self.detail_tables = [
            {
                "name": table["name"],
                "row_count": f"{table['row_count']:,}" if isinstance(table.get("row_count"), int) else "",
                "columns": [
                    {"name": column["name"], "type": column.get("type", "")} for column in table.get("columns", [])
                ],
            }
            for table in detail.get("tables", [])
        ]
        self.detail_notes = [str(note) for note in _detail_notes(detail.get("details") or {})]
        self.detail_suggestions = [
            {"question": str(question), "href": "/query?" + urlencode({"source": detail["id"], "q": str(question)})}
            for question in detail.get("suggested_questions", [])[:8]
        ]

    @rx.event(background=True)
    async def load_preview(self, offset: int):
        async with self:
            user = self._authorized_user()
            source_id = self.detail_id
            if user is None or not self.found:
                return None
            self.preview_loading = True
        offset = max(0, offset)
        try:
            page = await in_thread(
                user.id,
                lambda session, user: sources.preview(session, user, source_id, limit=PREVIEW_PAGE_SIZE, offset=offset),
            )
        except ServiceError as error:
            async with self:
                self.preview_loading = False
                self.preview_error = error.detail
            return None
        async with self:
            if self.detail_id != source_id:
                return None
            self.preview_loading = False
            self.preview_error = ""
            self.preview_offset = offset
            self.preview_total = page.total
            self.preview_columns = [column.name for column in page.columns]
            self.preview_rows = [[format_cell(value) for value in row] for row in page.rows]
        return None

    @rx.event(background=True)
    async def load_profile(self):
        async with self:
            user = self._authorized_user()
            source_id = self.detail_id
            if user is None or not self.found:
                return None
            self.profile_loading = True
        try:
            profile = await in_thread(user.id, lambda session, user: sources.column_profile(session, user, source_id))
        except ServiceError as error:
            async with self:
                self.profile_loading = False
            return rx.toast.error(f"The column profile could not be computed: {error.detail}")
        async with self:
            if self.detail_id == source_id:
                self.profile_rows = _profile_rows(profile)
                self.profile_loading = False
        return None

    @rx.event
    def next_rows(self):
        return SourceDetailState.load_preview(self.preview_offset + PREVIEW_PAGE_SIZE)

    @rx.event
    def previous_rows(self):
        return SourceDetailState.load_preview(max(0, self.preview_offset - PREVIEW_PAGE_SIZE))

    @rx.event
    def ask_delete(self):
        self.confirming_delete = True

    @rx.event
    def cancel_delete(self):
        self.confirming_delete = False

    @rx.event
    def confirm_delete(self):
        user = self._authorized_user()
        if user is None:
            return self._login_redirect()
        self.confirming_delete = False
        name = self.detail_name
        try:
            with_user_session(user.id, lambda session, user: sources.delete_source(session, user, self.detail_id))
        except ServiceError as error:
            return rx.toast.error(error.detail)
        self.found = False
        return [rx.toast.success(f"'{name}' was deleted. Its questions stay in your history."), rx.redirect("/data")]


def _detail_notes(details: dict[str, Any]) -> list[str]:
    """What the ingest detected and what it had to skip, in words."""
    notes: list[str] = []
    if details.get("encoding"):
        header = (
            "with a header row" if details.get("header", True) else "without a header row (columns were named for you)"
        )
        decimal = ", decimal commas" if details.get("decimal_separator") == "," else ""
        notes.append(
            f"Read from {details.get('filename', 'the file')} as {details['encoding']}, "
            f"{str(details.get('delimiter', 'comma')).lower()}-separated{decimal}, {header}."
        )
    skipped = details.get("skipped_rows")
    if isinstance(skipped, int) and skipped:
        notes.append(
            f"{skipped:,} malformed line(s) were skipped, the first at line {details.get('first_skipped_line')}."
        )
    return notes


def _profile_rows(profile: dict[str, Any]) -> list[dict[str, str]]:
    """The column profile as one line of text per column (a multi-table source names the table too)."""
    tables = profile.get("tables")
    if not isinstance(tables, list):
        tables = [{"name": "", "columns": profile.get("columns", [])}]
    rows: list[dict[str, str]] = []
    for table in tables:
        prefix = f"{table['name']}." if len(tables) > 1 and table.get("name") else ""
        for column in table.get("columns", []):
            rows.append(
                {
                    "column": prefix + str(column["name"]),
                    "type": str(column.get("type", "")),
                    "nulls": human_count(column.get("null_count")),
                    "distinct": human_count(column.get("distinct_count")),
                    "summary": _column_summary(column),
                }
            )
    return rows


def _column_summary(column: dict[str, Any]) -> str:
    kind = column.get("kind")
    if kind in ("integer", "number") and column.get("min") is not None:
        parts = [f"min {format_cell(column['min'])}", f"max {format_cell(column['max'])}"]
        if column.get("mean") is not None:
            parts.append(f"mean {format_cell(round(float(column['mean']), 4))}")
        return " · ".join(parts)
    if kind in ("date", "datetime") and column.get("min") is not None:
        return f"{column['min']} to {column['max']}"
    top = column.get("top_values") or []
    if top:
        return "Top: " + ", ".join(f"{format_cell(item['value'])} ({item['count']:,})" for item in top)
    samples = column.get("samples") or []
    if samples:
        return "e.g. " + ", ".join(format_cell(value) for value in samples)
    return ""
