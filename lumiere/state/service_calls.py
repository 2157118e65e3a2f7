"""Running a service call for a page: in its own DB session, off the event loop when it may block.

Queries can run for up to the query timeout and ingests for minutes; Reflex serves every user
from one event loop, so page states run those calls with `in_thread` from a background event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TypeVar

from sqlmodel import Session

from lumiere.db import session_scope
from lumiere.models import User
from lumiere.services.errors import ServiceError, Unauthorized, Unavailable

T = TypeVar("T")
logger = logging.getLogger(__name__)


def with_user_session(user_id: int, work: Callable[[Session, User], T]) -> T:
    """`work(session, user)` in one transaction; the user is re-read so a deleted account stops here."""
    with session_scope() as session:
        user = session.get(User, user_id)
        if user is None:
            raise Unauthorized("Your session has ended; sign in again.")
        return work(session, user)


async def in_thread(user_id: int, work: Callable[[Session, User], T]) -> T:
    """Like `with_user_session`, in a worker thread; a crash becomes a ServiceError so that the
    page leaves its waiting state and says so, while the details go to the log only."""
    try:
        return await asyncio.to_thread(with_user_session, user_id, work)
    except ServiceError:
        raise
    except Exception as error:
        logger.exception("A service call from a page failed")
        raise Unavailable("Something went wrong on our side; try again in a moment.") from error
