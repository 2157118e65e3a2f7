"""/api/auth: register, login, me, logout."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from lumiere.api.deps import BearerToken, ClientAddress, CurrentUser, DbSession
from lumiere.api.routing import Router
from lumiere.api.schemas import LoginIn, LoginOut, RegisterIn, UserOut
from lumiere.services.auth import issue_token, revoke_token, sign_in, sign_up
from lumiere.services.users import public_user

router = Router(prefix="/api/auth", tags=["auth"])


LIMITED: dict[int | str, dict[str, Any]] = {
    429: {"description": "Too many attempts from this address or for this account; Retry-After says how long to wait"},
}


@router.post("/register", status_code=201, response_model=UserOut, responses=LIMITED)
def register(body: RegisterIn, session: DbSession, address: ClientAddress) -> dict[str, Any]:
    """Creates an account; attempts are limited per client address (LUMIERE_REGISTRATIONS_PER_HOUR)."""
    user = sign_up(session, email=body.email, password=body.password, name=body.name, address=address)
    return public_user(user)


@router.post("/login", response_model=LoginOut, responses=LIMITED)
def login(body: LoginIn, session: DbSession, address: ClientAddress) -> dict[str, Any]:
    """A token for the account; after too many failures for the account or from the address, 429 until they age out."""
    user = sign_in(session, email=body.email, password=body.password, address=address)
    token = issue_token(user)
    return {
        "access_token": token.access_token,
        "token_type": "bearer",
        "expires_in": token.expires_in,
        "user": public_user(user),
    }


@router.get("/me", response_model=UserOut)
def me(user: CurrentUser) -> dict[str, Any]:
    return public_user(user)


@router.post("/logout", status_code=204, response_class=Response)
def logout(session: DbSession, token: BearerToken) -> Response:
    """Revoke the token of this request at once; the user's other sessions stay signed in."""
    revoke_token(session, token)
    return Response(status_code=204)
