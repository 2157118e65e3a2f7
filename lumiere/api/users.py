"""/api/users: read, edit and delete an account (self, or anyone for an admin)."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from lumiere.api.deps import CurrentUser, DbSession
from lumiere.api.routing import Router
from lumiere.api.schemas import IdPath, UserOut, UserPatchIn, UserPatchOut
from lumiere.api.schemas_settings import AccountDeleteIn
from lumiere.services.account import delete_account
from lumiere.services.users import get_visible_user, public_user, update_user

router = Router(prefix="/api/users", tags=["users"])


@router.get("/{user_id}", response_model=UserOut)
def get_user(user_id: IdPath, user: CurrentUser, session: DbSession) -> dict[str, Any]:
    return public_user(get_visible_user(session, user, user_id))


@router.patch("/{user_id}", response_model=UserPatchOut, response_model_exclude_none=True)
def patch_user(user_id: IdPath, body: UserPatchIn, user: CurrentUser, session: DbSession) -> dict[str, Any]:
    updated, token = update_user(
        session,
        user,
        user_id,
        name=body.name,
        email=body.email,
        password=body.password,
        current_password=body.current_password,
        theme=body.theme,
    )
    result = public_user(updated)
    if token is not None:
        result["access_token"] = token.access_token
        result["expires_in"] = token.expires_in
    return result


@router.delete("/{user_id}", status_code=204, response_class=Response)
def delete_user(user_id: IdPath, body: AccountDeleteIn, user: CurrentUser, session: DbSession) -> Response:
    """Delete the account and everything it owns (its dataset files once that is committed)."""
    delete_account(session, user, user_id, body.current_password)
    return Response(status_code=204)
