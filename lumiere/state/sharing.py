"""The Share dialog of an answer (Ask, History, Chat, Insights): make a link, copy it, see the
answer's links with their views, revoke one. Same service functions as the REST routes."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from lumiere.core.errors import LimitReached
from lumiere.core.text import plural
from lumiere.services import sharing
from lumiere.services.sharing import ShareView
from lumiere.state.arguments import INVALID_LINK, one_of, positive_id
from lumiere.state.auth import AuthState
from lumiere.state.display import short_time
from lumiere.state.service_calls import Failed

EXPIRY_CHOICES = (("never", "Never expires"), ("1", "1 day"), ("7", "7 days"), ("30", "30 days"))
COPIED = "Link copied"


@dataclass(frozen=True)
class ShareRow:
    """A link as the dialog and Settings list it."""

    id: int
    query_id: int
    question: str
    prefix: str
    created: str
    expires: str
    expired: bool
    views: str


def share_row(view: ShareView) -> ShareRow:
    views = plural(view.view_count, "view")
    expires = "Never expires" if view.expires_at is None else (
        f"Expired {short_time(view.expires_at)}" if view.expired else f"Expires {short_time(view.expires_at)}"
    )
    return ShareRow(id=view.id, query_id=view.query_id or 0, question=view.question, prefix=view.prefix,
                    created=short_time(view.created_at), expires=expires, expired=view.expired, views=views)


class ShareState(AuthState):
    share_open: bool = False
    share_query_id: int = 0
    share_expiry: str = "never"
    share_url: str = ""
    share_links: list[ShareRow] = []
    share_error: str = ""
    share_limit_reached: bool = False
    share_busy: bool = False
    # Every link of the user (Settings → Shared links).
    all_links: list[ShareRow] = []

    async def _load_links(self) -> Failed | None:
        query_id = self.share_query_id
        views = await self._call_service(lambda session, user: sharing.list_shares(session, user, query_id))
        if isinstance(views, Failed):
            return views
        self.share_links = [share_row(view) for view in views]
        return None

    @rx.event
    async def open_share(self, query_id: str | int):
        """Open the dialog for one answer, with its existing links."""
        wanted = positive_id(query_id)
        if wanted is None:
            return rx.toast.error(INVALID_LINK)
        self.share_query_id = wanted
        self.share_url = self.share_error = ""
        self.share_limit_reached = False
        self.share_expiry = "never"
        self.share_links = []
        self.share_open = True
        failed = await self._load_links()
        if failed is not None:
            self.share_open = False
            return failed.event
        return None

    @rx.event
    def set_share_open(self, value: bool):
        self.share_open = bool(value)

    @rx.event
    def set_share_expiry(self, value: str):
        self.share_expiry = one_of(value, [choice for choice, _ in EXPIRY_CHOICES]) or "never"

    @rx.event
    async def create_link(self):
        """A new link to a snapshot of the answer as it is now; the URL is shown (once) to copy."""
        query_id, expiry = self.share_query_id, self.share_expiry
        days = None if expiry == "never" else int(expiry)
        self.share_busy, self.share_error, self.share_limit_reached = True, "", False
        yield
        created = await self._call_service(
            lambda session, user: sharing.create_share(session, user, query_id, days)
        )
        self.share_busy = False
        if isinstance(created, Failed):
            if created.signed_out:
                yield created.event
                return
            self.share_error = created.message
            self.share_limit_reached = isinstance(created.error, LimitReached)
            return
        self.share_url = created.url
        failed = await self._load_links()
        if failed is not None:
            yield failed.event

    @rx.event
    def copy_link(self):
        return [rx.set_clipboard(self.share_url), rx.toast.success(COPIED)]

    @rx.event
    async def revoke(self, share_id: str | int):
        """The link stops working at once."""
        wanted = positive_id(share_id)
        if wanted is None:
            return rx.toast.error(INVALID_LINK)
        done = await self._call_service(lambda session, user: sharing.revoke_share_by_id(session, user, wanted))
        if isinstance(done, Failed):
            return done.event
        self.share_url = ""
        failed = await self._load_links() if self.share_open else None
        if failed is None and self.all_links:
            failed = await self._load_all_links()
        return failed.event if failed is not None else rx.toast.success("Link revoked")

    async def _load_all_links(self) -> Failed | None:
        views = await self._call_service(sharing.list_shares)
        if isinstance(views, Failed):
            return views
        self.all_links = [share_row(view) for view in views]
        return None

    @rx.event
    async def load_all_links(self):
        """Settings → Shared links."""
        failed = await self._load_all_links()
        return failed.event if failed is not None else None
