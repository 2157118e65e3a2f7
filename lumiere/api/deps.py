"""Request dependencies: a database session per request and the authenticated user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from lumiere.db import session_scope
from lumiere.models import User
from lumiere.services import rate_limits
from lumiere.services.auth import user_from_token
from lumiere.services.rate_limits import Group

bearer_scheme = HTTPBearer(auto_error=False, description="The access_token from POST /api/auth/login")


_COMMIT_LIMITER: RunVar[anyio.CapacityLimiter] = RunVar("lumiere_commit_limiter")
COMMIT_THREADS = 8


def _commit_limiter() -> anyio.CapacityLimiter:
    """Threads of their own for ending sessions, one limiter per event loop.

    The server runs requests on more than one loop (Granian); a limiter shared between loops wakes
    a waiter from the wrong loop, so under load a session could wait for its commit forever while
    holding the app database's write lock (every write then stalled). anyio keeps its own default
    limiter per loop the same way.
    """
    try:
        return _COMMIT_LIMITER.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(COMMIT_THREADS)
        _COMMIT_LIMITER.set(limiter)
        return limiter


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
    """The signed-in user, counted against their limit for requests other than questions."""
    user = user_from_token(session, token)
    rate_limits.enforce_user(session, user, Group.DEFAULT)
    return _released(session, user)


CurrentUser = Annotated[User, Depends(current_user)]


def asking_user(session: DbSession, token: BearerToken) -> User:
    """The signed-in user of a route that runs a query (ask, chat, SQL): counted against the plan's
    requests_per_minute instead."""
    user = user_from_token(session, token)
    rate_limits.enforce_user(session, user, Group.QUESTIONS)
    return _released(session, user)


def _released(session: Session, user: User) -> User:
    """Ends the dependency's transaction, giving its pooled connection back before the route runs.

    The route runs later, on another request thread; a request waiting for one would otherwise hold
    a connection, and with more requests than the pool has connections (200 users on PostgreSQL),
    the routes holding threads waited for connections held by requests waiting for threads: 500s
    after the pool timeout, and no answer for a while after the load.
    """
    session.commit()
    return user


AskingUser = Annotated[User, Depends(asking_user)]


def client_address(request: Request) -> str:
    """The client's address (X-Forwarded-For only behind LUMIERE_TRUSTED_PROXY_HOPS proxies)."""
    return rate_limits.client_address(request.client.host if request.client else None,
                                      request.headers.get("x-forwarded-for"))


ClientAddress = Annotated[str, Depends(client_address)]
