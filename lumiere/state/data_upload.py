"""The Upload page: CSV files stream to the sources service, with progress, errors and results per file.

Reflex hands the background handler the request's chunks as they arrive and the sources service
writes them to its private folder, enforcing the size limit as it goes. Nothing is written to
Reflex's public upload folder.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, replace
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

import reflex as rx

from lumiere.config import get_settings
from lumiere.core.errors import ServiceError, Unavailable
from lumiere.db import session_scope
from lumiere.models import User
from lumiere.services import sources
from lumiere.state.arguments import bounded_text, clamped
from lumiere.state.auth import AuthState
from lumiere.state.display import human_size
from lumiere.state.service_calls import Failed

ACCEPTED_EXTENSIONS = (".csv", ".tsv", ".txt")
# react-dropzone checks the extension (and the browser's MIME guess) before anything is sent.
ACCEPT = {"text/csv": [".csv"], "text/tab-separated-values": [".tsv"], "text/plain": [".txt"]}
PROGRESS_EVERY_S = 0.25
MAX_LISTED_FILES = 100  # the browser's lists of dropped files are only shown, so a longer one is cut
MAX_FILENAME_CHARS = 255
MAX_ANNOUNCED_BYTES = 2**53  # a size the browser reports, only ever displayed

logger = logging.getLogger(__name__)


def _base_name(filename: str) -> str:
    """A dropped folder's files arrive as 'folder/file.csv'; the source is named after the file alone."""
    return PureWindowsPath(PurePosixPath(filename).name).name or filename


def _listed(value: Any) -> list[Any]:
    """A list the browser sent, at most MAX_LISTED_FILES long; anything else reads as empty."""
    return value[:MAX_LISTED_FILES] if isinstance(value, list) else []


def _listed_dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in _listed(value) if isinstance(item, dict)]


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


@dataclass(frozen=True)
class UploadRow:
    """One file's line in the upload list: progress, then the outcome (source_id stays empty until it is ready)."""

    key: str
    name: str
    size: int
    size_label: str
    received: int
    percent: int
    status: str
    message: str
    source_id: str
    source_name: str


class UploadState(AuthState):
    uploads: list[UploadRow] = []
    uploading: bool = False
    max_upload_bytes: int = get_settings().max_upload_bytes

    @rx.var
    def max_upload_label(self) -> str:
        return human_size(self.max_upload_bytes)

    @rx.event
    async def load(self):
        limit = await self._call_service(lambda session, user: get_settings().max_upload_bytes)
        if isinstance(limit, Failed):
            return limit.event
        self.max_upload_bytes = limit
        return None

    @rx.event
    def clear_finished(self):
        self.uploads = [item for item in self.uploads if item.status in ("waiting", "uploading", "reading")]

    @rx.event
    def files_rejected(self, rejections: list[dict]):
        """Files the browser already refused (type or size); the server would refuse them the same way.

        Only each file's name, size and error codes come here (see `rejected_files_meta`), never its bytes.
        """
        for rejection in _listed_dicts(rejections):
            name = _base_name(bounded_text(rejection.get("name"), MAX_FILENAME_CHARS) or "file")
            codes = {str(code) for code in _listed(rejection.get("codes"))}
            if "file-invalid-type" in codes or not _extension_ok(name):
                message = "Only .csv, .tsv and .txt files can be uploaded."
            elif "file-too-large" in codes:
                message = f"This file is larger than the {self.max_upload_label} limit."
            else:
                message = "This file was not accepted; upload .csv, .tsv or .txt files one by one."
            size = clamped(rejection.get("size"), 0, MAX_ANNOUNCED_BYTES) or 0
            self.uploads.insert(0, self._row(name, size, "error", message))

    def _row(self, name: str, size: int, status: str, message: str = "") -> UploadRow:
        return UploadRow(
            key=f"{time.monotonic_ns()}-{len(self.uploads)}",
            name=name,
            size=size,
            size_label=human_size(size) if size else "",
            received=0,
            percent=0,
            status=status,
            message=message,
            source_id="",
            source_name="",
        )

    def _update(self, key: str, **changes: Any) -> None:
        for index, item in enumerate(self.uploads):
            if item.key == key:
                self.uploads[index] = replace(item, **changes)
                return

    @rx.event(background=True)
    async def receive_upload(self, chunks: rx.UploadChunkIterator, announced: list[dict]):
        """Streams each file into the sources service; progress, errors and results per file."""
        async with self:
            user = self._authorized_user()
            self.uploading = user is not None
            sizes = [clamped(item.get("size"), 0, MAX_ANNOUNCED_BYTES) or 0 for item in _listed_dicts(announced)]
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
                    if item.status in ("uploading", "reading"):
                        self._update(item.key, status="error", message="The upload stopped before the end; try again.")
        return events

    async def _ingest_one(self, user: User, streams: _FileStreams, filename: str, size: int) -> Any:
        name = _base_name(filename)
        async with self:
            row = self._row(name, size, "uploading")
            self.uploads.insert(0, row)
        key = row.key
        received = 0
        last_report = time.monotonic()

        async def counted() -> AsyncGenerator[bytes, None]:
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
                source = await _ingest(user, name, stream, self._space())
        except Exception as failure:  # one file's crash must not stop the others
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


async def _ingest(
    user: User, name: str, stream: AsyncIterator[bytes], space: int | None = None
) -> dict[str, Any]:
    """The session opens no transaction while bytes stream in, so a long upload holds no database snapshot;
    `space` is the workspace the upload goes to (None: personal)."""
    with session_scope() as session:
        source = await sources.ingest_upload(
            session, user, filename=name, chunks=stream, name=None, workspace_id=space
        )
        return sources.public_source(source)
