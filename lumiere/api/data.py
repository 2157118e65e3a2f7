"""/api/data: uploads, the sample dataset, database connections, reading or deleting sources, and
the semantic layer of a source (what its columns mean).

The upload route parses the multipart body as a stream: the file part goes straight to the
sources service chunk by chunk, so a large upload is never held in memory or spooled twice.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from sqlmodel import Session

from lumiere.api.deps import CurrentUser, DbSession
from lumiere.api.routing import Router
from lumiere.api.schemas import (
    ConnectionTestOut,
    IdPath,
    PreviewOut,
    SemanticsOut,
    SemanticsPatchIn,
    SourceDetailOut,
    SourceList,
    SourceOut,
    SourceProfile,
    StrictModel,
    WorkspaceParam,
)
from lumiere.config import get_settings
from lumiere.core.errors import BadRequest, Timeout, TooLarge, UnsupportedMedia
from lumiere.models import Source, User
from lumiere.services import connections, semantics, sources, workspaces
from lumiere.services.ingest import StagedUpload, receive_upload

router = Router(prefix="/api/data", tags=["data"])


MAX_TEXT_FIELD_BYTES = 4096  # the optional `name` field and any other small field
MULTIPART_OVERHEAD_BYTES = 64 * 1024  # headers and boundaries around the file part

_UPLOAD_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": ".csv, .tsv or .txt"},
                        "name": {"type": "string", "description": "Display name (default: the file name)"},
                    },
                }
            }
        },
    }
}


class MultipartStream:
    """python-multipart's push parser over `request.stream()`, read as a sequence of events:
    ("part", headers), ("data", bytes) ..., ("end", None), and finally ("done", None)."""

    def __init__(self, request: Request) -> None:
        content_type, options = parse_options_header(request.headers.get("content-type", ""))
        if content_type != b"multipart/form-data" or not options.get(b"boundary"):
            raise UnsupportedMedia("Send the upload as multipart/form-data with the file in a field named `file`.")
        self._chunks = request.stream().__aiter__()
        self._idle_timeout_s = get_settings().upload_idle_timeout_s
        self._events: deque[tuple[str, Any]] = deque()
        self._finished = False
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[str, bytes] = {}
        self._parser = MultipartParser(
            options[b"boundary"],
            callbacks={
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": lambda: self._events.append(("end", None)),
            },
        )

    def _on_part_begin(self) -> None:
        self._headers = {}

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[self._header_field.decode("latin-1").lower()] = self._header_value
        self._header_field = self._header_value = b""

    def _on_headers_finished(self) -> None:
        self._events.append(("part", self._headers))

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        self._events.append(("data", data if start == 0 and end == len(data) else data[start:end]))

    async def next_event(self) -> tuple[str, Any]:
        while not self._events:
            if self._finished:
                return ("done", None)
            try:
                # A client that stops sending would otherwise hold the connection and its staged file forever.
                chunk = await asyncio.wait_for(self._chunks.__anext__(), self._idle_timeout_s)
            except StopAsyncIteration:
                self._finished = True
                self._parser.finalize()
                continue
            except TimeoutError:
                raise Timeout(f"The upload stalled: no data arrived for {self._idle_timeout_s:g} s. "
                              "Check the connection and upload the file again.") from None
            try:
                self._parser.write(chunk)
            except MultipartParseError:
                raise BadRequest("The multipart body is malformed; send the file as multipart/form-data.") from None
        return self._events.popleft()

    async def part_bytes(self) -> AsyncIterator[bytes]:
        """The current part's content, chunk by chunk, as it arrives."""
        while True:
            kind, payload = await self.next_event()
            if kind == "data":
                yield payload
            elif kind == "end":
                return
            else:
                raise BadRequest("The upload ended before the file was complete; try again.")

    async def small_part(self, field: str) -> bytes:
        data = b""
        async for chunk in self.part_bytes():
            data += chunk
            if len(data) > MAX_TEXT_FIELD_BYTES:
                raise BadRequest(f"The field `{field}` is too long.")
        return data


def _disposition(headers: dict[str, bytes]) -> tuple[str, str | None]:
    """(field name, file name or None) from a part's Content-Disposition header."""
    _, options = parse_options_header(headers.get("content-disposition", b"").decode("latin-1"))
    field = _header_text(options.get(b"name", b""))
    filename = options.get(b"filename")
    return field, _header_text(filename) if filename is not None else None


def _header_text(raw: bytes) -> str:
    """Browsers send file names as raw UTF-8 in part headers; fall back to Latin-1."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


@router.post(
    "/upload",
    status_code=201,
    response_model=SourceOut,
    response_model_exclude_unset=True,
    openapi_extra=_UPLOAD_BODY_DOC,
)
async def upload(
    request: Request, user: CurrentUser, session: DbSession, workspace_id: WorkspaceParam = None
) -> dict[str, Any]:
    """Upload a CSV (multipart field `file`, optional `name`); it becomes a source with one table
    (`?workspace_id=`: in that workspace, for its editors and admins)."""
    declared = request.headers.get("content-length", "")
    limit = get_settings().max_upload_bytes
    if declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD_BYTES:
        raise TooLarge(f"The file is larger than the upload limit of {limit // (1024 * 1024)} MB.")
    await asyncio.to_thread(_check_room_and_release, session, user, workspace_id)
    body = MultipartStream(request)
    staged: StagedUpload | None = None
    name: str | None = None
    try:
        while (event := await body.next_event())[0] != "done":
            kind, headers = event
            if kind != "part":
                continue
            field, filename = _disposition(headers)
            if field == "file" and filename is not None:
                if staged is not None:
                    raise BadRequest("Send one file per upload.")
                staged = await receive_upload(filename, body.part_bytes())
            elif field == "name":
                name = _header_text(await body.small_part("name")).strip() or None
            else:
                async for _ in body.part_bytes():
                    pass
        if staged is None:
            raise BadRequest("No file was sent: put the CSV in the multipart field `file`.")
        source = await asyncio.to_thread(_register_and_commit, session, user, staged, name, workspace_id)
    finally:
        if staged is not None:
            staged.discard()
    return sources.public_source(source)


def _check_room_and_release(session: Session, user: User, workspace_id: int | None) -> None:
    """Refuses before the upload streams when it could not be kept, then gives the pooled connection
    back: the stream may take minutes, and the session needs none meanwhile."""
    sources.check_room_for_upload(session, user, workspace_id)
    session.commit()


def _register_and_commit(
    session: Session, user: User, staged: StagedUpload, name: str | None, workspace_id: int | None
) -> Source:
    """The new source, committed on the same thread that wrote it: the write lock is given back at once
    (async routes are not wrapped by `Router`, so their session would commit later, on another thread)."""
    source = sources.register_upload(session, user, staged, name=name, workspace_id=workspace_id)
    session.commit()
    return source


@router.post("/sample", status_code=201, response_model=SourceOut, response_model_exclude_unset=True)
def load_sample(user: CurrentUser, session: DbSession, workspace_id: WorkspaceParam = None) -> dict[str, Any]:
    """Add the gapminder sample dataset (from plotly) as a source, exactly as an upload would be."""
    return sources.public_source(sources.load_sample_dataset(session, user, workspace_id))


@router.get("/sources", response_model=SourceList, response_model_exclude_unset=True)
def list_sources(user: CurrentUser, session: DbSession, workspace_id: WorkspaceParam = None) -> dict[str, Any]:
    """One space's sources: yours (no `workspace_id`), or a workspace's (members only), with who added each."""
    found = sources.list_sources(session, user, workspace_id)
    names = workspaces.names_of(session, {source.user_id for source in found})
    items = [sources.public_source(source, created_by=names.get(source.user_id)) for source in found]
    return {"items": items, "total": len(items)}


@router.get("/source/{source_id}", response_model=SourceDetailOut, response_model_exclude_unset=True)
def get_source(source_id: IdPath, user: CurrentUser, session: DbSession) -> dict[str, Any]:
    """A source with its schema, column profile, ingest details and suggested questions."""
    return sources.public_source(sources.get_source(session, user, source_id), detail=True)


@router.get("/source/{source_id}/preview", response_model=PreviewOut)
def preview_source(
    source_id: IdPath,
    user: CurrentUser,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=sources.MAX_PREVIEW_ROWS)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**53)] = 0,
    table: Annotated[str | None, Query(max_length=200, description="For databases: which table")] = None,
) -> sources.PreviewPage:
    return sources.preview(session, user, source_id, limit=limit, offset=offset, table=table)


@router.get("/source/{source_id}/profile", response_model=SourceProfile, response_model_exclude_unset=True)
def profile_source(source_id: IdPath, user: CurrentUser, session: DbSession) -> dict[str, Any]:
    """Per column: nulls, distinct count, min/max/mean, top values, date range."""
    return sources.column_profile(session, user, source_id)


@router.get("/source/{source_id}/semantics", response_model=SemanticsOut)
def get_semantics(source_id: IdPath, user: CurrentUser, session: DbSession) -> semantics.SemanticsView:
    """Every column's meaning: description, synonyms, unit and value meanings (inferred or edited)."""
    return semantics.source_semantics(session, user, source_id)


@router.patch("/source/{source_id}/semantics", response_model=SemanticsOut)
def patch_semantics(
    source_id: IdPath, body: SemanticsPatchIn, user: CurrentUser, session: DbSession
) -> semantics.SemanticsView:
    """Change some columns' meanings, all or nothing; `reset: true` puts a column back to what is inferred."""
    patch = [column.model_dump(exclude_unset=True) for column in body.columns]
    return semantics.update_semantics(session, user, source_id, {"columns": patch})


class SourcePatchIn(StrictModel):
    name: str | None = Field(default=None, max_length=500)
    workspace_id: int | None = Field(default=None, description="A workspace to move it to; null: back to you")


@router.patch("/source/{source_id}", response_model=SourceOut, response_model_exclude_unset=True)
def patch_source(source_id: IdPath, body: SourcePatchIn, user: CurrentUser, session: DbSession) -> dict[str, Any]:
    """Rename a source or move it into a workspace (you must be an editor or admin there) or back to you."""
    changes = body.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] is None:
        del changes["name"]
    return sources.public_source(sources.update_source(session, user, source_id, **changes))


@router.delete("/source/{source_id}", status_code=204)
def delete_source(source_id: IdPath, user: CurrentUser, session: DbSession) -> Response:
    sources.delete_source(session, user, source_id)
    return Response(status_code=204)


class ConnectionIn(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    kind: str = Field(max_length=20, description="postgresql or mysql")
    host: str = Field(max_length=253)
    port: int | str | None = Field(default=None, description="Default 5432 / 3306")
    database: str = Field(max_length=128)
    user: str = Field(max_length=128)
    password: str = Field(default="", max_length=1000)
    db_schema: str | None = Field(default=None, alias="schema", max_length=128)

    def as_params(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "host": self.host,
            "port": self.port,
            "database": self.database,
            "user": self.user,
            "password": self.password,
            "schema": self.db_schema,
        }


class ConnectIn(ConnectionIn):
    name: str | None = Field(default=None, max_length=500)
    workspace_id: int | None = Field(default=None, description="A workspace to add it to (editors and admins)")


@router.post("/connect/test", response_model=ConnectionTestOut)
def check_connection(body: ConnectionIn, user: CurrentUser) -> connections.ConnectionCheck:
    """Connect read-only with a short timeout and list the tables; 400 says what went wrong."""
    return connections.test_connection(body.as_params())


@router.post("/connect", status_code=201, response_model=SourceOut, response_model_exclude_unset=True)
def connect(body: ConnectIn, user: CurrentUser, session: DbSession) -> dict[str, Any]:
    """Save a database connection as a source (the password is stored encrypted, never returned)."""
    created = connections.create_connection(
        session, user, body.as_params(), name=body.name, workspace_id=body.workspace_id
    )
    return sources.public_source(created)
