"""The dashboard's state without a browser: pins drawn as a chart and a number, moved and resized, and
the guide ticked, closed and brought back (the user menu's handler)."""

from __future__ import annotations

import pytest

from lumiere.db import saved_id, session_scope
from lumiere.services import ask, pins, sources
from lumiere.services.auth import issue_token, register_user
from lumiere.state.dashboard import DashboardState
from tests.helpers.page_state import handler, page_state, settled


@pytest.fixture
def token(app_db) -> str:
    """A user with the sample dataset and two pinned answers: a chart, then a single number."""
    with session_scope() as session:
        user = register_user(session, email="pinner@example.com", password="correct horse", name="Pinner")
        source_id = saved_id(sources.load_sample_dataset(session, user))
        chart = ask.run_sql(session, user, source_id=source_id,
                            sql="SELECT continent, COUNT(*) AS n FROM gapminder GROUP BY continent").query
        number = ask.run_sql(session, user, source_id=source_id, sql="SELECT COUNT(*) AS n FROM gapminder").query
        for query in (chart, number):
            pins.pin_query(session, user, saved_id(query))
        return issue_token(user).access_token


def test_pins_are_drawn_moved_and_resized(token: str) -> None:
    state = page_state(DashboardState, token, "/dashboard")
    settled(state.load())
    assert [(card.kind, card.first, card.last) for card in state.pin_cards] == [
        ("chart", True, False), ("number", False, True)]
    assert state.pin_cards[0].figure["data"] and state.pin_cards[1].value == "1,704"
    assert state.can_arrange and state.pin_cards[0].href.startswith("/query?query=")
    number = state.pin_cards[1]
    settled(handler(DashboardState.move)(state, number.id, 0))
    assert [card.id for card in state.pin_cards] == [number.id, state.pin_cards[1].id]
    settled(handler(DashboardState.resize)(state, number.id, 3))
    assert (state.pin_cards[0].width, state.pin_cards[0].span) == (3, "span 3")
    assert "width is 1" in str(settled(handler(DashboardState.resize)(state, number.id, 7)))
    settled(handler(DashboardState.unpin)(state, number.id))
    assert len(state.pin_cards) == 1


def test_the_guide_ticks_closes_and_comes_back(token: str) -> None:
    state = page_state(DashboardState, token, "/dashboard")
    settled(state.load())
    assert [step.done for step in state.guide_steps] == [True, True, False, False, False]
    assert state.show_guide and state.guide_done_count == 2
    settled(state.dismiss_guide())
    assert not state.show_guide
    settled(state.load())
    assert not state.show_guide  # remembered on the account
    assert "/dashboard" in str(settled(state.show_guide_again()))
    assert state.show_guide
