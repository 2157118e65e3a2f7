"""Request dependencies: a database session per request and the authenticated user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from lumiere.db import session_scope
from lumiere.models import User
from lumiere.services import rate_limits
from lumiere.services.auth import user_from_token
from lumiere.services.rate_limits import Group

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
    """The signed-in user, counted against their limit for requests other than questions."""
    user = user_from_token(session, token)
    rate_limits.enforce_user(session, user, Group.DEFAULT)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def asking_user(session: DbSession, token: BearerToken) -> User:
    """The signed-in user of a route that runs a query (ask, chat, SQL): counted against the plan's
    requests_per_minute instead."""
    user = user_from_token(session, token)
    rate_limits.enforce_user(session, user, Group.QUESTIONS)
    return user


AskingUser = Annotated[User, Depends(asking_user)]


def client_address(request: Request) -> str:
    """The client's address (X-Forwarded-For only behind LUMIERE_TRUSTED_PROXY_HOPS proxies)."""
    return rate_limits.client_address(request.client.host if request.client else None,
                                      request.headers.get("x-forwarded-for"))


ClientAddress = Annotated[str, Depends(client_address)]
