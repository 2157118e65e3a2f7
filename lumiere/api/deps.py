"""Request dependencies: a database session per request and the authenticated user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Annotated

import anyio
import anyio.to_thread
from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from lumiere.db import session_scope
from lumiere.models import User
from lumiere.services.auth import user_from_token

bearer_scheme = HTTPBearer(auto_error=False, description="The access_token from POST /api/auth/login")


@lru_cache(maxsize=1)
def _commit_limiter() -> anyio.CapacityLimiter:
    """Threads of their own for ending sessions (made on first use, inside the event loop)."""
    return anyio.CapacityLimiter(8)


async def db_session() -> AsyncIterator[Session]:
    """The request's session, committed (or rolled back) once the route returns.

    The commit runs on threads of its own, not the request threads the routes share: a route that
    wrote holds the app database's write lock until this commit, and if the commit had to wait for a
    request thread while every request thread waited for that lock, all would wait until the lock
    timed out (what gave "database is locked" 500s under load).
    """
    scope = session_scope()
    session = scope.__enter__()  # only builds the Session: no I/O on the event loop
    try:
        yield session
    except BaseException as error:
        if not await anyio.to_thread.run_sync(
            scope.__exit__, type(error), error, error.__traceback__, limiter=_commit_limiter()
        ):
            raise
    else:
        await anyio.to_thread.run_sync(scope.__exit__, None, None, None, limiter=_commit_limiter())


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
