"""The signed-in session in the browser: a token in localStorage, re-checked on every handler."""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

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
from lumiere.services.errors import Invalid, ServiceError

LOGIN_ROUTE = "/login"
HOME_ROUTE = "/dashboard"


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login, never another host."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return HOME_ROUTE


class AuthState(rx.State):
    """Base of every signed-in page's state; holds the token and what the top bar shows."""

    token: str = rx.LocalStorage(name="lumiere_token", sync=True)
    user_id: int = 0
    user_name: str = ""
    user_email: str = ""
    user_role: str = ""
    user_plan: str = ""
    auth_checked: bool = False

    @rx.var
    def is_authenticated(self) -> bool:
        return self.auth_checked and self.user_id > 0

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
        self.auth_checked = True

    def _forget(self) -> None:
        self.token = ""
        self.user_id = 0
        self.user_name = ""
        self.user_email = ""
        self.user_role = ""
        self.user_plan = ""

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

    def _login_redirect(self) -> rx.event.EventSpec:
        path = self.router.url.path or HOME_ROUTE
        return rx.redirect(f"{LOGIN_ROUTE}?next={quote(path, safe='/')}", replace=True)

    def _authorized_user(self) -> User | None:
        """Re-check the token against the database; forget everything if it no longer holds."""
        user = self._current_user()
        self.auth_checked = True
        if user is None:
            self._forget()
            return None
        self._remember(user)
        return user

    @rx.event
    def require_login(self):
        """on_load of every protected page: refresh the user or send them to sign in."""
        if self._authorized_user() is None:
            return self._login_redirect()
        return None

    @rx.event
    def require_login_then_home(self):
        if self._authorized_user() is None:
            return rx.redirect(LOGIN_ROUTE, replace=True)
        return rx.redirect(HOME_ROUTE, replace=True)

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
        return rx.redirect(LOGIN_ROUTE, replace=True)


class LoginState(AuthState):
    email_error: str = ""
    password_error: str = ""
    form_error: str = ""
    submitting: bool = False

    @rx.event
    def submit(self, form_data: dict):
        self.email_error = self.password_error = self.form_error = ""
        email = str(form_data.get("email", "")).strip()
        password = str(form_data.get("password", ""))
        if not email:
            self.email_error = "Enter your email address."
        if not password:
            self.password_error = "Enter your password."
        if self.email_error or self.password_error:
            return None
        try:
            with session_scope() as session:
                user = authenticate(session, email=email, password=password)
                self.token = issue_token(user).access_token
                self._remember(user)
        except ServiceError as error:
            self.form_error = error.detail
            return None
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
    def submit(self, form_data: dict):
        self.name_error = self.email_error = self.password_error = self.form_error = ""
        # Check every field first so that all mistakes show at once.
        for check, field in ((validate_name, "name"), (normalize_email, "email"), (validate_password, "password")):
            try:
                check(form_data.get(field, ""))
            except Invalid as error:
                self._show_error(error)
        if self.name_error or self.email_error or self.password_error:
            return None
        try:
            with session_scope() as session:
                user = register_user(
                    session,
                    email=form_data.get("email", ""),
                    password=form_data.get("password", ""),
                    name=form_data.get("name", ""),
                )
                self.token = issue_token(user).access_token
                self._remember(user)
        except ServiceError as error:
            self._show_error(error)
            return None
        return rx.redirect(HOME_ROUTE, replace=True)
