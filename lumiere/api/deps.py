"""Request dependencies: a database session per request and the authenticated user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from lumiere.db import session_scope
from lumiere.models import User
from lumiere.services.auth import user_from_token

bearer_scheme = HTTPBearer(auto_error=False, description="The access_token from POST /api/auth/login")


def db_session() -> Iterator[Session]:
    with session_scope() as session:
        yield session


# "function" scope: the session commits when the route returns, BEFORE the response is sent, so a
# client is never told 201 about a row that is not committed yet (or never will be).
DbSession = Annotated[Session, Depends(db_session, scope="function")]


def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> str | None:
    return credentials.credentials if credentials else None


BearerToken = Annotated[str | None, Depends(bearer_token)]


def current_user(session: DbSession, token: BearerToken) -> User:
    return user_from_token(session, token)


CurrentUser = Annotated[User, Depends(current_user)]
