"""Page handlers are limited like the API (websocket events pass no HTTP middleware): the Ask page's
question past the plan's limit shows the wait in a toast and runs nothing; sign-in and registration
forms say the wait too."""

from __future__ import annotations

from lumiere.config import reset_settings
from lumiere.db import saved_id, session_scope
from lumiere.models import Query
from lumiere.services import sources
from lumiere.services.auth import issue_token, register_user
from lumiere.services.plans import create_plan
from lumiere.state.auth import LoginState, RegisterState
from lumiere.state.query import QueryState
from tests.helpers.page_state import handler, page_state, settled


def test_the_ask_page_past_the_plan_limit_shows_the_wait_and_runs_nothing(app_db) -> None:
    with session_scope() as session:
        create_plan(session, name="tiny", title="Tiny", limits={"requests_per_minute": 2})
        user = register_user(session, email="asker@example.com", password="correct horse", name="Asker")
        user.plan = "tiny"
        source = sources.load_sample_dataset(session, user)
        token, source_id = issue_token(user).access_token, saved_id(source)
    state = page_state(QueryState, token, "/query")
    for _ in range(2):
        state.selected_source, state.question = str(source_id), "how many rows"
        settled(handler(QueryState.ask)(state))
        assert state.answer_query_id > 0, state.error_message
    state.question = "how many rows"
    events = settled(handler(QueryState.ask)(state))
    assert "wait" in state.error_message and "seconds" in state.error_message
    assert "Too many questions" in str(events) and "toast" in str(events).lower()
    with session_scope() as session:
        assert len(session.query(Query).all()) == 2  # the third question was not run


def test_the_sign_in_form_locks_after_failures(app_db, monkeypatch) -> None:
    monkeypatch.setenv("LUMIERE_LOGIN_FAILURE_LIMIT", "2")
    reset_settings()
    with session_scope() as session:
        register_user(session, email="locked@example.com", password="correct horse", name="Locked")
    state = page_state(LoginState, "", "/login")
    for _ in range(2):
        settled(state.submit({"email": "locked@example.com", "password": "wrong horse"}))
        assert "Incorrect" in state.form_error
    events = settled(state.submit({"email": "locked@example.com", "password": "correct horse"}))
    assert "Too many failed sign-ins" in state.form_error and not state.token
    assert "wait" in str(events)


def test_the_registration_form_is_limited_per_address(app_db, monkeypatch) -> None:
    monkeypatch.setenv("LUMIERE_REGISTRATIONS_PER_HOUR", "1")
    reset_settings()
    state = page_state(RegisterState, "", "/register")
    settled(state.submit({"name": "One", "email": "one@example.com", "password": "correct horse"}))
    assert state.token
    other = page_state(RegisterState, "", "/register")
    settled(other.submit({"name": "Two", "email": "two@example.com", "password": "correct horse"}))
    assert "Too many new accounts" in other.form_error and not other.token
