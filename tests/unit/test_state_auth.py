"""Signing in, creating an account, signing out and Settings → Profile without a browser: forms read defensively;
signing out revokes the token on the server, not only in localStorage."""

from __future__ import annotations

import pytest

from lumiere.core.errors import Unauthorized
from lumiere.db import session_scope
from lumiere.services.auth import issue_token, register_user, user_from_token
from lumiere.state.auth import AuthState, LoginState, RegisterState
from lumiere.state.dashboard import DashboardState
from lumiere.state.settings import SettingsState
from tests.helpers.page_state import page_state, settled


def test_register_then_sign_in_and_a_form_that_is_not_a_form(app_db):
    register = page_state(RegisterState, url="/register")
    outcome = settled(register.submit({"name": "Ada", "email": "ada@example.com", "password": "correct horse"}))
    assert "/dashboard" in str(outcome) and register.token and register.user_name == "Ada"

    login = page_state(LoginState, url="/login?next=/history")
    assert settled(login.submit("not a form")) is None
    assert (login.email_error, login.password_error) == ("Enter your email address.", "Enter your password.")
    assert settled(login.submit({"email": ["ada@example.com"], "password": 42})) is None
    assert login.form_error and not login.token
    outcome = settled(login.submit({"email": " ada@example.com ", "password": "correct horse"}))
    assert "/history" in str(outcome) and login.token and login.user_email == "ada@example.com"

    again = page_state(RegisterState, url="/register")
    assert settled(again.submit({"name": "Ada", "email": "ada@example.com", "password": "correct horse"})) is None
    assert again.email_error and not again.token


def test_profile_errors_show_next_to_their_field_and_saving_updates_the_top_bar(app_db):
    with session_scope() as session:
        user = register_user(session, email="grace@example.com", password="correct horse", name="Grace")
        token = issue_token(user).access_token
    profile = page_state(SettingsState, token, "/settings")
    assert settled(profile.change_password({"new_password": "a", "confirm_password": "b"})) is None
    assert profile.password_field == "confirm_password"
    failed = settled(profile.change_password({"new_password": "x" * 12, "confirm_password": "x" * 12}))
    assert failed is None and profile.password_error and profile.password_field == "current_password"
    assert "Profile saved." in str(settled(profile.save_details({"name": "Grace H.", "email": "grace@example.com"})))
    assert profile.user_name == "Grace H." and profile.details_error == ""

    dashboard = page_state(DashboardState, token, "/dashboard")
    assert settled(dashboard.load()) is None and dashboard.loaded and dashboard.source_count == 0
    signed_out = page_state(DashboardState, "", "/dashboard")
    assert "/login?next=/dashboard" in str(settled(signed_out.load())) and not signed_out.loaded


def test_logout_revokes_the_token_and_keeps_other_sessions(app_db):
    with session_scope() as session:
        user = register_user(session, email="leaving@example.com", password="password-1", name="Leaving")
        this_browser, other_browser = issue_token(user).access_token, issue_token(user).access_token
    state = page_state(AuthState, this_browser, "/dashboard")
    settled(state.logout())
    assert state.token == "" and state.user_id == 0
    with session_scope() as session, pytest.raises(Unauthorized, match="signed out"):
        user_from_token(session, this_browser)
    with session_scope() as session:
        assert user_from_token(session, other_browser).email == "leaving@example.com"
    settled(page_state(AuthState, this_browser, "/dashboard").logout())  # a revoked token signs out quietly


def test_an_empty_register_form_gets_an_error_under_each_field(app_db):
    register = page_state(RegisterState, url="/register")
    assert settled(register.submit({"name": "", "email": "", "password": ""})) is None
    assert (register.name_error, register.email_error, register.password_error) == (
        "Enter your name.",
        "Enter your email address.",
        "Enter a password.",
    )
