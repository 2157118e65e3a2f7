"""Emails the signed-in user asks for (an insight, a large export), and the links in Lumiere's emails.

The links work without an account: `/api/email/stop/{token}` shows a page whose button stops one
schedule's emails to one address (a POST, also what mail clients' one-click unsubscribe sends, so a
link scanner that only fetches the page stops nothing); `/api/files/{token}` streams a file that was
too large to attach, until the link expires (then 404). They are pages for people, not API
operations, so they stay out of the OpenAPI document.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi.responses import FileResponse, HTMLResponse

from lumiere.api.deps import CurrentUser, DbSession
from lumiere.api.routing import Router
from lumiere.api.schemas import IdPath
from lumiere.api.schemas_schedules import ExportEmailIn, QueuedEmailOut
from lumiere.core.errors import NotFound
from lumiere.services.deliveries import QueuedEmail, email_export, email_insight
from lumiere.services.exports import content_disposition
from lumiere.services.mail.links import StopRequest, open_download, read_stop, stop_emails

router = Router(prefix="/api", tags=["email"])

QUEUED_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such insight or query of yours"},
    422: {"description": "A format other than csv, xlsx or pdf, or a query that did not succeed"},
    503: {"description": "Email is not configured on this server"},
}


@router.post("/insights/{insight_id}/email", status_code=202, response_model=QueuedEmailOut,
             responses=QUEUED_ERRORS)
def email_me_insight(insight_id: IdPath, user: CurrentUser, session: DbSession) -> QueuedEmail:
    """Emails the insight, with its chart, to your own address."""
    return email_insight(session, user, insight_id)


@router.post("/queries/{query_id}/export/email", status_code=202, response_model=QueuedEmailOut,
             responses=QUEUED_ERRORS)
def email_me_export(query_id: IdPath, body: ExportEmailIn, user: CurrentUser, session: DbSession) -> QueuedEmail:
    """Writes the whole export as a job and emails you a download link (for results too big to wait for)."""
    return email_export(session, user, query_id, body.format)


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    html = (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
        f"content=\"width=device-width, initial-scale=1\"><title>{escape(title)} · Lumiere</title></head>"
        "<body style=\"font-family: Arial, sans-serif; max-width: 560px; margin: 48px auto; padding: 0 16px; "
        f"color: #1f2933\"><h1 style=\"font-size: 22px\">{escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})


def _invalid(error: NotFound) -> HTMLResponse:
    return _page("This link does not work", f"<p>{escape(error.detail)}</p>", 404)


def _stopped_page(request: StopRequest) -> HTMLResponse:
    what = f"“{escape(request.schedule_name)}”" if request.schedule_name else "this schedule"
    return _page("You will not get these emails any more",
                 f"<p>{escape(request.email)} will get no more emails from {what}.</p>")


@router.get("/email/stop/{token}", include_in_schema=False)
def stop_page(token: str, session: DbSession) -> HTMLResponse:
    try:
        request = read_stop(session, token)
    except NotFound as error:
        return _invalid(error)
    if request.stopped:
        return _stopped_page(request)
    return _page(
        "Stop these emails?",
        f"<p>Stop sending “{escape(request.schedule_name or '')}” to {escape(request.email)}?</p>"
        "<form method=\"post\"><button type=\"submit\" style=\"font-size: 16px; padding: 8px 16px\">"
        "Stop these emails</button></form>",
    )


@router.post("/email/stop/{token}", include_in_schema=False)
def stop(token: str, session: DbSession) -> HTMLResponse:
    try:
        return _stopped_page(stop_emails(session, token))
    except NotFound as error:
        return _invalid(error)


@router.get("/files/{token}", include_in_schema=False)
def download(token: str) -> FileResponse:
    found = open_download(token)
    return FileResponse(
        found.path, media_type=found.content_type, headers={"Content-Disposition": content_disposition(found.filename),
                                                            "Cache-Control": "private, no-store"},
    )
