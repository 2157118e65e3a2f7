"""The router every API module declares its routes on: sync routes commit their session as they return."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from sqlmodel import Session


class Router(APIRouter):
    """An APIRouter whose sync routes that take the request's `session` commit it on their own thread.

    FastAPI builds a sync route's response and ends its dependencies after the route's thread has
    been given back; a route that wrote would hold the app database's write lock until a thread is
    free again to commit, and when every request thread is waiting for that lock, nothing moves until
    the lock wait ends in 503s (what the load test showed at 50 and 200 users). Committed here, the
    lock is given back before the response is built; `db_session` then only closes (or rolls back
    when the route raised). The endpoint itself is wrapped, so the route FastAPI builds when the
    router is included (from `route.endpoint`) commits too.
    """

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        super().add_api_route(path, _committing(endpoint), **options)


def _committing(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(endpoint) or "session" not in inspect.signature(endpoint).parameters:
        return endpoint

    @functools.wraps(endpoint)  # FastAPI reads the parameters and their annotations through __wrapped__
    def committing(*args: Any, **values: Any) -> Any:
        result = endpoint(*args, **values)
        session = values.get("session")
        if isinstance(session, Session):
            session.commit()
        return result

    return committing
