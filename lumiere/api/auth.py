"""/api/auth: register, login, me, logout."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from lumiere.api.deps import BearerToken, CurrentUser, DbSession
from lumiere.api.schemas import LoginIn, LoginOut, RegisterIn, UserOut
from lumiere.services.auth import authenticate, issue_token, register_user, revoke_token
from lumiere.services.users import public_user

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/register", status_code=201, response_model=UserOut)
def register(body: RegisterIn, session: DbSession) -> dict[str, Any]:
    user = register_user(session, email=body.email, password=body.password, name=body.name)
    return public_user(user)


@router.post("/login", response_model=LoginOut)
def login(body: LoginIn, session: DbSession) -> dict[str, Any]:
    user = authenticate(session, email=body.email, password=body.password)
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
