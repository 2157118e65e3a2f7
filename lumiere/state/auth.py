"""The signed-in session in the browser: a token in localStorage, re-checked on every handler."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from lumiere import routes
from lumiere.core.errors import Invalid, ServiceError, Unauthorized
from lumiere.db import session_scope
from lumiere.models import User
from lumiere.services.auth import (
    authenticate,
    issue_token,
    normalize_email,
    register_user,
    revoke_token,
    user_from_token,
    validate_name,
    validate_password,
)
from lumiere.services.users import set_theme
from lumiere.state.arguments import form_text
from lumiere.state.service_calls import Failed, anonymous_in_thread, in_thread

T = TypeVar("T")


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

    @rx.var
    def is_authenticated(self) -> bool:
        return self.auth_checked and self.user_id > 0

    @rx.var
    def is_admin(self) -> bool:
        return self.user_role == "admin"

    @rx.var
    def user_initials(self) -> str:
        parts = [part for part in self.user_name.split() if part]
        return "".join(part[0] for part in parts[:2]).upper() or "?"

    def _remember(self, user: User) -> None:
        self.user_id = user.id or 0
        self.user_name = user.name
        self.user_email = user.email
        self.user_role = user.role
        self.user_plan = user.plan
        self.user_theme = user.theme
        self.auth_checked = True

    def _forget(self) -> None:
        self.token = ""
        self.user_id = 0
        self.user_name = ""
        self.user_email = ""
        self.user_role = ""
        self.user_plan = ""
        self.user_theme = ""

    def _current_user(self) -> User | None:
        """The user behind the stored token, read from the database on every call."""
        if not self.token:
            return None
        try:
            with session_scope() as session:
                user = user_from_token(session, self.token)
                session.expunge(user)
        except ServiceError:
            return None
        return user

    def _login_redirect(self) -> EventSpec:
        return rx.redirect(routes.login_url(self.router.url.path or routes.HOME.path), replace=True)

    def _authorized_user(self) -> User | None:
        """Re-check the token against the database; forget everything if it no longer holds."""
        user = self._current_user()
        self.auth_checked = True
        if user is None:
            self._forget()
            return None
        self._remember(user)
        return user

    async def _call_service(self, work: Callable[[Session, User], T]) -> T | Failed:
        """How every handler calls a service: checks the signed-in user, runs `work(session, user)`
        in a worker thread, and returns its result or a `Failed` whose event shows why.

        In a background handler, call it outside `async with self`: it takes the lock for the check only.
        """
        async with self:
            user = self._authorized_user()
            sign_in = self._login_redirect()
        if user is None or user.id is None:
            return Failed(Unauthorized("Your session has ended; sign in again."), sign_in)
        try:
            return await in_thread(user.id, work)
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
        user = self._current_user()
        self.auth_checked = True
        if user is not None:
            self._remember(user)
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
        try:
            user, token = await anonymous_in_thread(
                lambda session: _signed_in(authenticate(session, email=email, password=password))
            )
        except ServiceError as error:
            self.form_error = error.detail
            return None
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
        try:
            user, token = await anonymous_in_thread(
                lambda session: _signed_in(register_user(session, email=email, password=password, name=name))
            )
        except ServiceError as error:
            self._show_error(error)
            return None
        self.token = token
        self._remember(user)
        return rx.redirect(routes.HOME.path, replace=True)
