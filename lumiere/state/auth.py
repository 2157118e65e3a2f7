"""The signed-in session in the browser: a token in localStorage, re-checked on every handler."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from lumiere import routes
from lumiere.core.errors import Invalid, RateLimited, ServiceError, Unauthorized
from lumiere.db import session_scope
from lumiere.models import Source, User
from lumiere.services import policy, rate_limits
from lumiere.services.auth import (
    issue_token,
    normalize_email,
    revoke_token,
    sign_in,
    sign_up,
    user_from_token,
    validate_name,
    validate_password,
)
from lumiere.services.rate_limits import Group
from lumiere.services.users import set_theme
from lumiere.services.workspaces import Membership, memberships
from lumiere.state.arguments import form_text
from lumiere.state.service_calls import Failed, anonymous_in_thread, in_thread

T = TypeVar("T")
NEW_WORKSPACE = "__new__"  # the switcher's "New workspace…" entry
PERSONAL = "__personal__"  # the switcher's "Personal" entry (a select item cannot have an empty value)


@dataclass(frozen=True)
class SpaceChoice:
    """A workspace in the top bar's switcher (id as text, the select's value) with the user's role."""

    id: str
    name: str
    role: str


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login, never another host."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return routes.HOME.path


class AuthState(rx.State):
    """Base of every signed-in page's state; holds the token and what the top bar shows."""

    token: str = rx.LocalStorage(name="lumiere_token", sync=True)
    user_id: int = 0
    user_name: str = ""
    user_email: str = ""
    user_role: str = ""
    user_plan: str = ""
    # The appearance stored on the account; components/theme.py applies it whenever it changes.
    user_theme: str = ""
    auth_checked: bool = False
    # Why a signed-in session ended (account disabled, token expired...), shown on the sign-in page.
    session_notice: str = ""
    # The space this browser works in: a workspace id, or "" for the personal space. Every list and
    # every "add" on the pages uses it (`_space()`); the services check membership again.
    workspace_choice: str = rx.LocalStorage(name="lumiere_workspace", sync=True)
    spaces: list[SpaceChoice] = []
    # Whether the "add data" buttons show: the policy's answer for adding a source to the current
    # space, refreshed with the user on every handler (the services refuse anyway).
    can_add: bool = False

    @rx.var
    def is_authenticated(self) -> bool:
        return self.auth_checked and self.user_id > 0

    @rx.var
    def is_admin(self) -> bool:
        return self.user_role == "admin"

    @rx.var
    def current_space(self) -> SpaceChoice:
        """The chosen workspace, or the personal space (id "") when none (or one the user left) is chosen."""
        for space in self.spaces:
            if space.id == self.workspace_choice:
                return space
        return SpaceChoice(id="", name="Personal", role="")

    @rx.var
    def space_value(self) -> str:
        return self.current_space.id or PERSONAL

    def _space(self) -> int | None:
        """The chosen workspace's id for the services, or None for the personal space."""
        chosen = self.current_space.id
        return int(chosen) if chosen else None

    @rx.event
    def switch_space(self, value: str):
        """The switcher: a workspace, Personal, or "New workspace…" (the workspaces page). Pages reload
        so every list shows the new space."""
        if value == NEW_WORKSPACE:
            return rx.redirect(routes.WORKSPACES.path)
        self.workspace_choice = "" if value == PERSONAL else value
        return rx.call_script("window.location.reload()")

    @rx.var
    def user_initials(self) -> str:
        parts = [part for part in self.user_name.split() if part]
        return "".join(part[0] for part in parts[:2]).upper() or "?"

    def _remember(self, user: User, spaces: list[Membership] | None = None, can_add: bool | None = None) -> None:
        if spaces is not None:
            self.spaces = [SpaceChoice(id=str(space.id), name=space.name, role=space.role.value) for space in spaces]
        if can_add is not None:
            self.can_add = can_add
        self.user_id = user.id or 0
        self.user_name = user.name
        self.user_email = user.email
        self.user_role = user.role
        self.user_plan = user.plan
        self.user_theme = user.theme
        self.auth_checked = True
        self.session_notice = ""

    def _forget(self) -> None:
        self.token = ""
        self.user_id = 0
        self.user_name = ""
        self.user_email = ""
        self.user_role = ""
        self.user_plan = ""
        self.user_theme = ""
        self.spaces = []
        self.workspace_choice = ""
        self.can_add = False

    def _current_user(self) -> tuple[User, list[Membership], bool] | ServiceError | None:
        """The user behind the stored token, read from the database on every call, with their workspaces
        and whether the policy lets them add a source to the chosen space; the reason the token no
        longer holds; or None without a token."""
        if not self.token:
            return None
        try:
            with session_scope() as session:
                user = user_from_token(session, self.token)
                spaces = memberships(session, user)
                chosen = next((space.id for space in spaces if str(space.id) == self.workspace_choice), None)
                can_add = policy.may(session, user, policy.InSpace(Source, chosen), policy.Action.CREATE)
                session.expunge(user)
        except ServiceError as error:
            return error
        return user, spaces, can_add

    def _login_redirect(self) -> EventSpec:
        return rx.redirect(routes.login_url(self.router.url.path or routes.HOME.path), replace=True)

    def _authorized_user(self) -> User | None:
        """Re-check the token against the database; forget everything if it no longer holds, and
        keep why (an administrator disabled the account, the session expired) for the sign-in page."""
        found = self._current_user()
        self.auth_checked = True
        if not isinstance(found, tuple):
            self._forget()
            if found is not None:
                self.session_notice = found.detail
            return None
        user, spaces, can_add = found
        self._remember(user, spaces, can_add)
        return user

    def _client_address(self) -> str:
        """The browser's address as Reflex saw it (X-Forwarded-For only behind LUMIERE_TRUSTED_PROXY_HOPS)."""
        return self.router.session.client_ip or "unknown"

    async def _call_service(self, work: Callable[[Session, User], T], group: Group = Group.DEFAULT) -> T | Failed:
        """How every handler calls a service: checks the signed-in user and their rate limit in `group`
        (websocket events pass no HTTP middleware, so this is where pages are limited), runs
        `work(session, user)` in a worker thread, and returns its result or a `Failed` whose event shows why.

        In a background handler, call it outside `async with self`: it takes the lock for the check only.
        """
        async with self:
            user = self._authorized_user()
            sign_in = self._login_redirect()
        if user is None or user.id is None:
            return Failed(Unauthorized("Your session has ended; sign in again."), sign_in)

        def limited(session: Session, current: User) -> T:
            rate_limits.enforce_user(session, current, group)
            return work(session, current)

        try:
            return await in_thread(user.id, limited)
        except ServiceError as error:
            return Failed.of(error)

    @rx.event
    def require_login(self):
        """on_load of every protected page: refresh the user or send them to sign in."""
        if self._authorized_user() is None:
            return self._login_redirect()
        return None

    @rx.event
    async def save_theme(self, theme: str):
        """Store the appearance the user picked (top bar toggle, settings), so it follows them."""
        saved = await self._call_service(lambda session, user: set_theme(session, user, theme))
        if isinstance(saved, Failed):
            return saved.event
        self.user_theme = saved.value
        return None

    @rx.event
    def go_to_settings(self):
        """on_load of the old /profile address: its content lives in Settings now."""
        return rx.redirect(routes.SETTINGS.path, replace=True)

    @rx.event
    def require_login_then_home(self):
        if self._authorized_user() is None:
            return rx.redirect(routes.LOGIN.path, replace=True)
        return rx.redirect(routes.HOME.path, replace=True)

    @rx.event
    def redirect_if_signed_in(self):
        """on_load of /login and /register: a signed-in user goes straight on."""
        found = self._current_user()
        self.auth_checked = True
        if isinstance(found, tuple):
            self._remember(*found)
            return rx.redirect(safe_next(self.router.url.query_parameters.get("next")), replace=True)
        return None

    @rx.event
    def logout(self):
        """Revoke the token on the server (not only in this browser), then forget it."""
        if self.token:
            try:
                with session_scope() as session:
                    revoke_token(session, self.token)
            except ServiceError:
                pass  # already expired or revoked: nothing left to sign out
        self._forget()
        self.session_notice = ""
        return rx.redirect(routes.LOGIN.path, replace=True)


def _signed_in(user: User) -> tuple[User, str]:
    """The user (detached, so the page can read it after the session) and a fresh token."""
    token = issue_token(user).access_token
    return user, token


class LoginState(AuthState):
    email_error: str = ""
    password_error: str = ""
    form_error: str = ""
    submitting: bool = False

    @rx.event
    async def submit(self, form_data: dict):
        self.email_error = self.password_error = self.form_error = ""
        email = form_text(form_data, "email").strip()
        password = form_text(form_data, "password")
        if not email:
            self.email_error = "Enter your email address."
        if not password:
            self.password_error = "Enter your password."
        if self.email_error or self.password_error:
            return None
        address = self._client_address()
        try:
            user, token = await anonymous_in_thread(
                lambda session: _signed_in(sign_in(session, email=email, password=password, address=address))
            )
        except ServiceError as error:
            self.form_error = error.detail
            return Failed.of(error).event if isinstance(error, RateLimited) else None
        self.token = token
        self._remember(user)
        return rx.redirect(safe_next(self.router.url.query_parameters.get("next")), replace=True)


class RegisterState(AuthState):
    name_error: str = ""
    email_error: str = ""
    password_error: str = ""
    form_error: str = ""

    def _show_error(self, error: ServiceError) -> None:
        field = error.extra.get("field")
        if field in ("name", "email", "password"):
            setattr(self, f"{field}_error", error.detail)
        else:
            self.form_error = error.detail

    @rx.event
    async def submit(self, form_data: dict):
        self.name_error = self.email_error = self.password_error = self.form_error = ""
        name, email, password = (form_text(form_data, field) for field in ("name", "email", "password"))
        # Check every field first so that all mistakes show at once.
        for check, value in ((validate_name, name), (normalize_email, email), (validate_password, password)):
            try:
                check(value)
            except Invalid as error:
                self._show_error(error)
        if self.name_error or self.email_error or self.password_error:
            return None
        address = self._client_address()
        try:
            user, token = await anonymous_in_thread(
                lambda session: _signed_in(sign_up(session, email=email, password=password, name=name, address=address))
            )
        except ServiceError as error:
            self._show_error(error)
            return Failed.of(error).event if isinstance(error, RateLimited) else None
        self.token = token
        self._remember(user)
        return rx.redirect(routes.HOME.path, replace=True)
