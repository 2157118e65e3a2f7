"""Page states without a browser: a state tree at a URL, and handlers run to their result."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

import reflex as rx
from reflex.istate.data import RouterData


def page_state(cls: type[rx.State], token: str = "", url: str = "/") -> Any:
    """`cls`'s instance in a fresh state tree whose router is at `url`, signed in with `token`."""
    # Reflex types State's constructor from its fields, which hides BaseState.__init__'s framework flag.
    make_root: Callable[..., rx.State] = rx.State
    root = make_root(_reflex_internal_init=True)
    path, _, query = url.partition("?")
    params = dict(part.split("=", 1) for part in query.split("&") if part)
    root.router = RouterData.from_router_data(
        {"pathname": path, "asPath": url, "query": params, "headers": {"origin": "http://testserver"}}
    )
    state = root.get_substate(cls.get_full_name().split(".")[1:])
    state.token = token
    return state


def handler(event: Any) -> Callable[..., Any]:
    """The plain function behind a State event handler, to call it with arguments a browser could send.

    Mypy sees a handler through Reflex's `EventCallback` type, which does not declare the `fn` it wraps.
    """
    return event.fn


def settled(result: Any) -> Any:
    """What a handler returns, awaited when the handler is async (as Reflex would); a handler that
    yields (a background event that updates the page as it goes) runs to its end and gives the list
    of what it yielded."""
    if inspect.isasyncgen(result):
        return asyncio.run(_drained(result))
    return asyncio.run(result) if inspect.iscoroutine(result) else result


async def _drained(events: Any) -> list[Any]:
    return [event async for event in events]
