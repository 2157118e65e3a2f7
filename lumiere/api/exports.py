"""File downloads of answers: CSV, XLSX (every row, streamed) and PDF.

`GET /api/queries/{id}/export` needs the bearer token; `GET /api/exports/{token}` is the signed,
expiring link the pages (which cannot send that header with a download) and emails use.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path as PathParam
from fastapi import Query as QueryParam
from fastapi.responses import StreamingResponse

from lumiere.api.deps import CurrentUser, DbSession
from lumiere.api.routing import Router
from lumiere.api.schemas import IdPath
from lumiere.core.enums import ExportFormat
from lumiere.services.exports import (
    CONTENT_TYPES,
    ExportSubject,
    content_disposition,
    export_format,
    filename_for,
    subject_for_query,
)
from lumiere.services.exports.downloads import export_chunks, subject_for_link

router = Router(tags=["exports"])

FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, sent as it is written (`Content-Disposition: attachment`)",
        "content": {
            CONTENT_TYPES[ExportFormat.CSV]: {"schema": {"type": "string"}},
            CONTENT_TYPES[ExportFormat.XLSX]: {"schema": {"type": "string", "format": "binary"}},
            CONTENT_TYPES[ExportFormat.PDF]: {"schema": {"type": "string", "format": "binary"}},
        },
    },
    400: {"description": "The SQL was refused by the guard, or the data could not be read"},
    404: {"description": "No such query in your history, its source was deleted, or the link expired"},
    408: {"description": "The export ran longer than the export time limit"},
    422: {"description": "An unknown format, or a query that did not succeed"},
}


def _download(subject: ExportSubject, fmt: ExportFormat) -> StreamingResponse:
    filename = filename_for(subject, fmt)
    return StreamingResponse(
        export_chunks(subject, fmt),
        media_type=CONTENT_TYPES[fmt],
        headers={"Content-Disposition": content_disposition(filename), "Cache-Control": "no-store"},
    )


@router.get("/api/queries/{query_id}/export", response_class=StreamingResponse, responses=FILE_RESPONSES)
def export_query(
    query_id: IdPath,
    user: CurrentUser,
    session: DbSession,
    format: Annotated[str, QueryParam(max_length=20, description="csv, xlsx or pdf")] = "csv",
) -> StreamingResponse:
    """The answer's rows as CSV or XLSX (every row), or its PDF (question, SQL, chart, insight, first rows)."""
    fmt = export_format(format)
    return _download(subject_for_query(session, user, query_id), fmt)


@router.get("/api/exports/{token}", response_class=StreamingResponse, responses=FILE_RESPONSES)
def export_by_link(
    token: Annotated[str, PathParam(max_length=2000, description="A signed download link's token")],
    session: DbSession,
) -> StreamingResponse:
    """A signed download link (no sign-in): the export it names, as its owner would get it now."""
    subject, fmt = subject_for_link(session, token)
    return _download(subject, fmt)
