"""/api/tokens: personal API tokens for scripts (created, listed, revoked by their owner)."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from lumiere.api.deps import CurrentUser, DbSession
from lumiere.api.routing import Router
from lumiere.api.schemas import IdPath
from lumiere.api.schemas_settings import TokenCreatedOut, TokenCreateIn, TokenListOut
from lumiere.models._base import iso_utc
from lumiere.services.api_tokens import TokenInfo, create_token, list_tokens, revoke_token_by_id

router = Router(prefix="/api/tokens", tags=["API tokens"])


def token_body(info: TokenInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "name": info.name,
        "prefix": info.prefix,
        "created_at": iso_utc(info.created_at),
        "last_used_at": iso_utc(info.last_used_at),
    }


@router.get("", response_model=TokenListOut)
def tokens(user: CurrentUser, session: DbSession) -> dict[str, Any]:
    items = [token_body(info) for info in list_tokens(session, user)]
    return {"items": items, "total": len(items)}


@router.post("", status_code=201, response_model=TokenCreatedOut)
def create(body: TokenCreateIn, user: CurrentUser, session: DbSession) -> dict[str, Any]:
    """The token is in this response only; the server keeps its hash."""
    created = create_token(session, user, body.name)
    return {**token_body(created.info), "token": created.token}


@router.delete("/{token_id}", status_code=204, response_class=Response)
def revoke(token_id: IdPath, user: CurrentUser, session: DbSession) -> Response:
    revoke_token_by_id(session, user, token_id)
    return Response(status_code=204)
