"""/api/users: read and edit an account (self, or anyone for an admin)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from lumiere.api.deps import CurrentUser, DbSession
from lumiere.api.schemas import IdPath, UserOut, UserPatchIn, UserPatchOut
from lumiere.services.users import get_visible_user, public_user, update_user

router = APIRouter(prefix="/api/users", tags=["users"])


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
    )
    result = public_user(updated)
    if token is not None:
        result["access_token"] = token.access_token
        result["expires_in"] = token.expires_in
    return result
