"""The keyboard layer's state without a browser: the palette searches as the user, moves and opens by index."""

from __future__ import annotations

from lumiere import routes
from lumiere.db import saved_id, session_scope
from lumiere.models import Source
from lumiere.services.auth import issue_token, register_user
from lumiere.state.help import HelpState
from lumiere.state.keyboard import KeyboardState
from tests.helpers.page_state import page_state, settled


def _signed_in(email: str, source_name: str) -> str:
    with session_scope() as session:
        user = register_user(session, email=email, password="correct horse", name="Kay")
        session.add(Source(user_id=saved_id(user), name=source_name, kind="csv"))
        session.flush()
        return issue_token(user).access_token


def test_palette_searches_as_the_signed_in_user_and_enter_opens_the_highlighted_row(app_db) -> None:
    token = _signed_in("kay@example.com", "Orchard yields")
    _signed_in("lee@example.com", "Orchard secrets")
    state = page_state(KeyboardState, token, "/dashboard")
    settled(state.open_palette())
    assert state.palette_open and not state.shortcuts_open and state.palette_rows
    settled(state.search("orchard"))
    assert [(row.kind, row.label) for row in state.palette_rows] == [("Source", "Orchard yields")]
    settled(state.search("a"))
    count = len(state.palette_rows)
    assert count > 1
    state.palette_key("ArrowUp")
    assert state.palette_index == count - 1
    state.palette_key("ArrowDown")
    state.palette_key("ArrowDown")
    assert state.palette_index == 1
    redirect = state.palette_key("Enter")
    assert state.palette_rows[1].url in str(redirect) and not state.palette_open
    assert state.choose(99) is None and state.choose(-1) is None


def test_palette_without_a_session_finds_nothing_and_says_why(app_db) -> None:
    state = page_state(KeyboardState, "", "/dashboard")
    settled(state.search("x"))
    assert state.palette_rows == [] and "sign in" in state.palette_error.lower()


def test_help_opens_at_a_topic_and_filters_by_search(app_db) -> None:
    token = _signed_in("mo@example.com", "Anything")
    state = page_state(HelpState, token, f"{routes.HELP.path}?topic=privacy")
    assert "privacy" in str(state.load())
    state.set_search("synonyms")
    assert [section.slug for section in state.sections] == ["questions"]
    state.set_search("qqqzzz")
    assert state.no_match
    assert "login" in str(page_state(HelpState, "", routes.HELP.path).load())
