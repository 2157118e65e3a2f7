"""The Ask page's exploration cards without a browser: tiles from an answer, opening a card as SQL."""

from __future__ import annotations

import pytest

from lumiere.db import saved_id, session_scope
from lumiere.services import ask, sources
from lumiere.services.auth import issue_token, register_user
from lumiere.state.exploration import NOT_A_CARD
from lumiere.state.query import QueryState
from tests.helpers.page_state import handler, page_state, settled


@pytest.fixture
def explored(app_db):
    with session_scope() as session:
        user = register_user(session, email="explorer@example.com", password="correct horse", name="Ex")
        source_id = saved_id(sources.load_sample_dataset(session, user))
        payload = ask.public_answer(ask.ask_question(session, user, source_id=source_id, question="what stands out?"))
        session.expunge(user)
    state = page_state(QueryState, issue_token(user).access_token, "/query")
    settled(state.load())
    state.selected_source = str(source_id)
    state._show_answer(payload)
    return state, payload


def test_an_exploration_answer_shows_one_tile_per_card(explored) -> None:
    state, payload = explored
    assert state.has_exploration and len(state.exploration_tiles) == len(payload.exploration)
    for index, (tile, card) in enumerate(zip(state.exploration_tiles, payload.exploration, strict=True)):
        assert (tile.index, tile.title, tile.sql) == (index, card.title, card.sql)
        assert tile.figure["data"] and tile.element_id == f"exploration-card-{index}"
    assert state.answer_sql == payload.sql and state.chart_figure  # the first card is the answer


def test_open_as_question_loads_the_card_sql_and_its_title(explored) -> None:
    state, payload = explored
    handler(QueryState.open_card_as_question)(state, "1")
    assert state.editing_sql and state.sql_draft == payload.exploration[1].sql
    assert state.exploration_question == payload.exploration[1].title
    for bad in (-1, 99, "x", None, True, 1.5):
        assert NOT_A_CARD in str(handler(QueryState.open_card_as_question)(state, bad))
    handler(QueryState.start_editing)(state)  # the answer's own SQL again: no card title
    assert state.exploration_question == "" and state.sql_draft == state.answer_sql
    state._reset_answer()
    assert not state.has_exploration
