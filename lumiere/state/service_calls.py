"""Running a service call for a page: in its own DB session, off the event loop, failures as messages.

Queries can run for up to the query timeout and ingests for minutes; Reflex serves every user
from one event loop, so every handler runs its service call in a worker thread (`AuthState.run`
wraps `in_thread` with the sign-in check) and gets either the result or a `Failed` to show.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import reflex as rx
from reflex.event import EventSpec
from reflex_components_sonner.toast import ToastAction
from sqlmodel import Session

from lumiere import routes
from lumiere.core.errors import LimitReached, RateLimited, ServiceError, Unauthorized, Unavailable
from lumiere.db import session_scope
from lumiere.models import User

T = TypeVar("T")
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Failed:
    """A service call that did not return: the error and the event that shows it by default
    (a toast, or the sign-in page when the user is signed out)."""

    error: ServiceError
    event: EventSpec

    @property
    def message(self) -> str:
        return self.error.detail

    @property
    def signed_out(self) -> bool:
        return isinstance(self.error, Unauthorized)

    @property
    def field(self) -> str:
        """The form field the error is about, when the service names one."""
        return str(self.error.extra.get("field") or "")

    def unless_shown_inline(self) -> EventSpec | None:
        """For pages that show the message next to the form: only a signed-out user still needs an event,
        and a rate-limited one a toast with the wait (the form's message may be scrolled away)."""
        return self.event if self.signed_out or isinstance(self.error, RateLimited) else None

    @classmethod
    def of(cls, error: ServiceError) -> Failed:
        if isinstance(error, LimitReached):  # the way to more is one click away
            plans = ToastAction(label="See plans", on_click=rx.redirect(routes.SETTINGS_PLAN))
            return cls(error, rx.toast.error(error.detail, action=plans, duration=15000))
        return cls(error, rx.toast.error(error.detail))


def with_user_session(user_id: int, work: Callable[[Session, User], T]) -> T:
    """`work(session, user)` in one transaction; the user is re-read so a deleted account stops here."""
    with session_scope() as session:
        user = session.get(User, user_id)
        if user is None:
            raise Unauthorized("Your session has ended; sign in again.")
        return work(session, user)


async def anonymous_in_thread(work: Callable[[Session], T]) -> T:
    """`work(session)` in a worker thread, for a visitor who is not signed in yet (signing in,
    creating an account)."""

    def in_session() -> T:
        with session_scope() as session:
            return work(session)

    return await _off_the_loop(in_session)


async def in_thread(user_id: int, work: Callable[[Session, User], T]) -> T:
    """Like `with_user_session`, in a worker thread; a crash becomes a ServiceError so that the
    page leaves its waiting state and says so, while the details go to the log only."""
    return await _off_the_loop(lambda: with_user_session(user_id, work))


async def _off_the_loop(call: Callable[[], T]) -> T:
    try:
        return await asyncio.to_thread(call)
    except ServiceError:
        raise
    except Exception as error:
        logger.exception("A service call from a page failed")
        raise Unavailable("Something went wrong on our side; try again in a moment.") from error
