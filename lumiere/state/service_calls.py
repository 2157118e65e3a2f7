"""Running a service call for a page: in its own DB session, off the event loop when it may block.

Queries can run for up to the query timeout and ingests for minutes; Reflex serves every user
from one event loop, so page states run those calls with `in_thread` from a background event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from sqlmodel import Session

from lumiere.db import session_scope
from lumiere.models import User
from lumiere.services.errors import Unauthorized

T = TypeVar("T")


def with_user_session(user_id: int, work: Callable[[Session, User], T]) -> T:
    """`work(session, user)` in one transaction; the user is re-read so a deleted account stops here."""
    with session_scope() as session:
        user = session.get(User, user_id)
        if user is None:
            raise Unauthorized("Your session has ended; sign in again.")
        return work(session, user)


async def in_thread(user_id: int, work: Callable[[Session, User], T]) -> T:
    return await asyncio.to_thread(with_user_session, user_id, work)
