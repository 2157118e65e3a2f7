"""Public links to an answer: made, listed and revoked by their owner, opened by anyone (API.md → Sharing)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path as PathParam
from fastapi import Response

from lumiere.api.deps import ClientAddress, CurrentUser, DbSession
from lumiere.api.routing import Router
from lumiere.api.schemas import IdPath
from lumiere.api.schemas_sharing import ShareCreatedOut, SharedAnswerOut, ShareIn, ShareList
from lumiere.services import rate_limits, sharing
from lumiere.services.sharing import CreatedShare, SharedAnswer

router = Router(tags=["sharing"])

TokenPath = Annotated[str, PathParam(max_length=2000, description="A share link's token")]

CREATE_ERRORS: dict[int | str, dict[str, Any]] = {
    402: {"description": "The plan's share_links limit is reached"},
    404: {"description": "No such query in your history, or its source was deleted"},
    422: {"description": "expires_in_days out of 1..365, or a query that did not succeed"},
}
PUBLIC_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "The link expired, was revoked or never existed"},
    429: {"description": "Too many requests from this address (Retry-After says how many seconds to wait)"},
}


@router.post("/api/queries/{query_id}/share", status_code=201, response_model=ShareCreatedOut,
             responses=CREATE_ERRORS)
def create(query_id: IdPath, user: CurrentUser, session: DbSession, body: ShareIn | None = None) -> CreatedShare:
    """A link to a snapshot of the answer as it is now; the token is shown once."""
    return sharing.create_share(session, user, query_id, body.expires_in_days if body else None)


@router.get("/api/queries/{query_id}/shares", response_model=ShareList, responses={404: CREATE_ERRORS[404]})
def list_for_query(query_id: IdPath, user: CurrentUser, session: DbSession) -> dict[str, Any]:
    items = sharing.list_shares(session, user, query_id)
    return {"items": items, "total": len(items)}


@router.get("/api/shares", response_model=ShareList)
def list_mine(user: CurrentUser, session: DbSession) -> dict[str, Any]:
    """All your links, newest first, with their view counts and expiry."""
    items = sharing.list_shares(session, user)
    return {"items": items, "total": len(items)}


@router.delete("/api/shares/{token}", status_code=204, responses={404: {"description": "No such link of yours"}})
def revoke(token: TokenPath, user: CurrentUser, session: DbSession) -> Response:
    """The link stops working at once."""
    sharing.revoke_share(session, user, token)
    return Response(status_code=204)


@router.get("/api/public/{token}", response_model=SharedAnswerOut, responses=PUBLIC_ERRORS)
def public(token: TokenPath, address: ClientAddress, session: DbSession) -> SharedAnswer:
    """The shared answer, without signing in; rate-limited per client address."""
    rate_limits.enforce(address, rate_limits.PUBLIC_SHARE)
    return sharing.public_snapshot(session, token)
