"""The admin console's users table: search, sort, pages, and the per-row plan, role and disable actions.

A mixin of `AdminState`, so one state loads the whole console; every action goes through the same
services as `/api/admin/users`, and a refusal (the last administrator, an unknown plan) is shown
above the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from lumiere import routes
from lumiere.core.enums import Role
from lumiere.core.errors import Forbidden
from lumiere.models import User
from lumiere.services import admin_users
from lumiere.services.rate_limits import Group
from lumiere.state.arguments import INVALID_LINK, NOT_A_PAGE, bounded_text, clamped, one_of, positive_id
from lumiere.state.display import human_count, short_time
from lumiere.state.service_calls import Failed

T = TypeVar("T")
USERS_PAGE_SIZE = 20
SORTABLE = admin_users.SORT_KEYS


@dataclass(frozen=True)
class UserRow:
    """One account as the table shows it (text, except the flag the buttons switch on)."""

    id: str
    email: str
    name: str
    role: str
    plan: str
    disabled: bool
    created: str
    queries: str
    sources: str
    storage: str
    llm: str


NOT_AN_ADMIN = "The admin console is for administrators; you were sent to your dashboard."


def outcome_of(failed: Failed) -> EventSpec | list[EventSpec] | None:
    """What a failed admin call does on the page: a non-admin (or an admin just demoted) leaves
    for the dashboard with a message, a signed-out user goes to sign in, the rest shows inline."""
    if isinstance(failed.error, Forbidden):
        return [rx.redirect(routes.HOME.path, replace=True), rx.toast.error(NOT_AN_ADMIN)]
    return failed.unless_shown_inline()


def usd_text(value: float) -> str:
    """Dollars with cents, and more digits for the fractions of a cent LLM calls cost."""
    if value and abs(value) < 0.01:
        return f"${value:,.4f}"
    return f"${value:,.2f}"


def user_row(user: admin_users.AdminUser) -> UserRow:
    return UserRow(
        id=str(user.id),
        email=user.email,
        name=user.name,
        role=user.role,
        plan=user.plan,
        disabled=user.disabled,
        created=short_time(user.created_at),
        queries=human_count(user.usage.queries),
        sources=human_count(user.usage.sources),
        storage=f"{user.usage.storage_mb:,.1f} MB",
        llm=usd_text(user.usage.llm_usd),
    )


class AdminUsersMixin(rx.State, mixin=True):
    users: list[UserRow] = []
    users_total: int = 0
    users_page: int = 1
    users_search: str = ""
    users_sort: str = admin_users.DEFAULT_SORT
    users_error: str = ""
    plan_names: list[str] = []
    pending_disable: int = 0
    pending_disable_email: str = ""

    if TYPE_CHECKING:
        user_id: int  # AuthState's

        async def _call_service(
            self, work: Callable[[Session, User], T], group: Group = Group.DEFAULT
        ) -> T | Failed: ...

    @rx.var
    def users_page_count(self) -> int:
        return max(1, -(-self.users_total // USERS_PAGE_SIZE))

    @rx.var
    def users_sort_column(self) -> str:
        return self.users_sort.removeprefix("-")

    @rx.var
    def users_sort_descending(self) -> bool:
        return self.users_sort.startswith("-")

    @rx.var
    def confirming_disable(self) -> bool:
        return self.pending_disable > 0

    async def _refresh_users(self) -> EventSpec | list[EventSpec] | None:
        search, sort, page = self.users_search, self.users_sort, self.users_page
        listed = await self._call_service(
            lambda session, user: admin_users.list_users(
                session, user, search=search, sort=sort, page=page, page_size=USERS_PAGE_SIZE
            )
        )
        if isinstance(listed, Failed):
            self.users_error = listed.message
            return outcome_of(listed)
        self.users = [user_row(user) for user in listed.items]
        self.users_total = listed.total
        if self.users_page > 1 and not listed.items and listed.total:
            self.users_page = self.users_page_count
            return await self._refresh_users()
        return None

    async def _after_change(self, changed: object, success: str) -> EventSpec | list[EventSpec] | None:
        """Show a refusal above the table, or refresh the rows and confirm."""
        if isinstance(changed, Failed):
            self.users_error = changed.message
            return outcome_of(changed)
        self.users_error = ""
        return await self._refresh_users() or rx.toast.success(success)

    @rx.event
    async def set_users_search(self, text: str):
        self.users_search = bounded_text(text, admin_users.MAX_SEARCH_CHARS)
        self.users_page = 1
        self.users_error = ""
        return await self._refresh_users()

    @rx.event
    async def sort_users(self, column: str):
        """A click on a column header sorts by it; a second click reverses the order."""
        if one_of(column, SORTABLE) is None:
            return rx.toast.error("Sort by one of the table's column headers.")
        self.users_sort = f"-{column}" if self.users_sort == column else column
        self.users_page = 1
        return await self._refresh_users()

    @rx.event
    async def go_to_users_page(self, page: int):
        wanted = clamped(page, 1, self.users_page_count)
        if wanted is None:
            return rx.toast.error(NOT_A_PAGE)
        self.users_page = wanted
        return await self._refresh_users()

    @rx.event
    async def change_role(self, user_id: str, role: str):
        target, wanted = positive_id(user_id), one_of(role, tuple(Role))
        if target is None or wanted is None:
            return rx.toast.error(INVALID_LINK)
        changed = await self._call_service(
            lambda session, user: admin_users.update_user(session, user, target, role=wanted)
        )
        return await self._after_change(changed, f"Role changed to {wanted}.")

    @rx.event
    async def change_plan(self, user_id: str, plan: str):
        target, wanted = positive_id(user_id), one_of(plan, self.plan_names)
        if target is None or wanted is None:
            return rx.toast.error(INVALID_LINK)
        changed = await self._call_service(
            lambda session, user: admin_users.set_user_plan(session, user, target, wanted)
        )
        return await self._after_change(changed, f"Plan changed to {wanted}.")

    @rx.event
    def ask_disable(self, user_id: str, email: str):
        target = positive_id(user_id)
        if target is None:
            return rx.toast.error(INVALID_LINK)
        self.pending_disable = target
        self.pending_disable_email = bounded_text(email, 254)
        return None

    @rx.event
    def cancel_disable(self):
        self.pending_disable = 0
        self.pending_disable_email = ""

    @rx.event
    async def confirm_disable(self):
        target, self.pending_disable = self.pending_disable, 0
        if not target:
            return None
        changed = await self._call_service(
            lambda session, user: admin_users.update_user(session, user, target, disabled=True)
        )
        return await self._after_change(changed, "Account disabled; its sessions and tokens have ended.")

    @rx.event
    async def enable_user(self, user_id: str):
        target = positive_id(user_id)
        if target is None:
            return rx.toast.error(INVALID_LINK)
        changed = await self._call_service(
            lambda session, user: admin_users.update_user(session, user, target, disabled=False)
        )
        return await self._after_change(changed, "Account enabled again.")
