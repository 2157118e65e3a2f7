"""Downloads of exports: the file as a stream of chunks for an HTTP response, and signed links.

`export_chunks` runs `write_export` in a thread and hands its output over in chunks through a small
queue, so a response sends the file while it is being written (the queue's bound is what keeps a
slow client from piling the file up in memory). Errors before the first byte (guard, busy workers,
a deleted dataset) are raised to the caller, so the route answers with their status; an error after
it ends the stream abruptly, so a client never mistakes a cut file for a whole one.

Pages cannot send a bearer header with a download, so they get a signed link
(`storage.signed_links`, purpose "export") that names the user, query and format and expires
after five minutes; emails use the same links with a longer life.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlmodel import Session

from lumiere.config import get_settings
from lumiere.core.enums import ExportFormat
from lumiere.core.errors import NotFound
from lumiere.db import saved_id
from lumiere.models import User
from lumiere.services.exports import ExportSubject, export_format, filename_for, subject_for_query, write_export
from lumiere.storage.signed_links import BadLink, sign, verify

logger = logging.getLogger(__name__)

LINK_PURPOSE = "export"
LINK_TTL_S = 300
CHUNK_BYTES = 256 * 1024
_QUEUED_CHUNKS = 8  # at most this many chunks wait for a slow client
_PUT_POLL_S = 0.5


@dataclass(frozen=True)
class DownloadLink:
    path: str  # /api/exports/<token>, for pages served from the same origin
    url: str  # the same on settings.public_url, for emails
    filename: str
    expires_at: datetime


def download_link(
    session: Session, user: User, query_id: int, fmt: object, *, ttl_s: int = LINK_TTL_S
) -> DownloadLink:
    """A signed link to the export of one of the user's queries (checked now, and again when used)."""
    chosen = export_format(fmt)
    subject = subject_for_query(session, user, query_id)
    token = sign(LINK_PURPOSE, {"u": saved_id(user), "q": query_id, "f": chosen.value}, ttl_s=ttl_s)
    path = f"/api/exports/{token}"
    return DownloadLink(
        path=path,
        url=get_settings().public_url + path,
        filename=filename_for(subject, chosen),
        expires_at=datetime.now(UTC) + timedelta(seconds=ttl_s),
    )


def subject_for_link(session: Session, token: str) -> tuple[ExportSubject, ExportFormat]:
    """What a signed link exports, as its user would see it now; 404 for an expired or forged link."""
    try:
        payload = verify(LINK_PURPOSE, token)
    except BadLink as bad:
        if bad.expired:
            raise NotFound("This download link has expired; export the answer again from Lumiere.") from None
        raise NotFound("This download link is not valid; export the answer again from Lumiere.") from None
    user_id, query_id = payload.get("u"), payload.get("q")
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not isinstance(query_id, int):
        raise NotFound("This download link is no longer valid.")
    return subject_for_query(session, user, query_id), export_format(payload.get("f"))


class _Cancelled(Exception):
    """The reader went away; the writer stops at its next write."""


class _ChunkWriter:
    """A write-only binary stream that hands its bytes to a queue in chunks of about CHUNK_BYTES."""

    def __init__(self, chunks: queue.Queue[Any], cancelled: threading.Event) -> None:
        self._chunks = chunks
        self._cancelled = cancelled
        self._pending = bytearray()

    def write(self, data: bytes) -> int:
        self._pending += data
        if len(self._pending) >= CHUNK_BYTES:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self._pending:
            self.put(bytes(self._pending))
            self._pending.clear()

    def put(self, item: Any) -> None:
        while True:
            if self._cancelled.is_set():
                raise _Cancelled
            try:
                self._chunks.put(item, timeout=_PUT_POLL_S)
                return
            except queue.Full:
                continue


_END = object()


def export_chunks(subject: ExportSubject, fmt: ExportFormat) -> Iterator[bytes]:
    """The export's bytes as they are written; raises the export's error if it fails before the first byte.

    Closing the iterator early (the client went away) stops the export and its query.
    """
    chunks: queue.Queue[Any] = queue.Queue(maxsize=_QUEUED_CHUNKS)
    cancelled = threading.Event()
    writer = _ChunkWriter(chunks, cancelled)

    def work() -> None:
        try:
            write_export(subject, fmt, cast(Any, writer))
            writer.flush()
            writer.put(_END)
        except _Cancelled:
            return
        except BaseException as error:  # handed to the reader, which raises it
            try:
                writer.put(error)
            except _Cancelled:
                return

    threading.Thread(target=work, name="export-writer", daemon=True).start()
    first = chunks.get()
    if isinstance(first, BaseException):
        raise first

    def rest() -> Iterator[bytes]:
        try:
            item = first
            while item is not _END:
                if isinstance(item, BaseException):
                    logger.warning("An export stopped part way: %s", item)
                    raise item
                yield item
                item = chunks.get()
        finally:
            cancelled.set()

    return rest()
