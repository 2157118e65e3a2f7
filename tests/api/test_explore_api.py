"""POST /api/ai/query on a vague request: the usual answer (the first card) plus `exploration`."""

from __future__ import annotations

import plotly.data
import pytest
import sqlglot

from tests.api.test_ask_api import RESULT_FIELDS

GAPMINDER = plotly.data.gapminder()


@pytest.fixture
def sample(client, make_user):
    user = make_user()
    created = client.post("/api/data/sample", headers=user["headers"])
    assert created.status_code == 201, created.text
    return user, created.json()


def _ask(client, user, source_id, question):
    return client.post("/api/ai/query", json={"source_id": source_id, "question": question}, headers=user["headers"])


def test_a_vague_request_gets_cards_and_keeps_the_answer_shape(client, sample) -> None:
    user, source = sample
    response = _ask(client, user, source["id"], "show me something interesting")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) >= RESULT_FIELDS | {"exploration"}
    cards = body["exploration"]
    assert 3 <= len(cards) <= 6
    assert all(set(card) == {"title", "sql", "columns", "rows", "chart", "insight"} for card in cards)
    first = cards[0]  # the answer's own fields are the first card's
    assert body["rows"] == first["rows"] and body["columns"] == first["columns"]
    assert body["chart"]["title"] == first["title"] and body["engine"] == "builtin"
    assert sqlglot.parse_one(body["sql"], read="duckdb") == sqlglot.parse_one(first["sql"], read="duckdb")

    by_year = GAPMINDER.groupby("year")["lifeExp"].mean()  # the trend card, checked against pandas
    assert first["title"] == "Average lifeExp by year"
    assert [row[0] for row in first["rows"]] == list(by_year.index)
    assert [row[1] for row in first["rows"]] == pytest.approx(list(by_year))
    continents = next(card for card in cards if card["title"] == "Most common continent")
    assert {row[0]: row[1] for row in continents["rows"]} == GAPMINDER["continent"].value_counts().to_dict()
    assert "Africa: 624 of 1,704 rows (36.6%)" in continents["insight"]

    history = client.get("/api/queries", headers=user["headers"]).json()
    assert history["total"] == 1
    entry = history["items"][0]
    assert entry["id"] == body["query_id"] and entry["status"] == "ok" and entry["sql"] == body["sql"]
    assert entry["question"] == "show me something interesting"


def test_a_card_sql_runs_as_a_question_of_its_own(client, sample) -> None:
    """'Open as question' loads a card's SQL into the editor; it runs through /api/ai/sql unchanged."""
    user, source = sample
    cards = _ask(client, user, source["id"], "what stands out?").json()["exploration"]
    for card in cards:
        ran = client.post(
            "/api/ai/sql", json={"source_id": source["id"], "sql": card["sql"], "question": card["title"]},
            headers=user["headers"],
        )
        assert ran.status_code == 200, (card["title"], ran.text)
        assert ran.json()["rows"][: len(card["rows"])] == card["rows"]


def test_an_ordinary_question_has_no_exploration(client, sample) -> None:
    user, source = sample
    body = _ask(client, user, source["id"], "average life expectancy by continent in 2007").json()
    assert body["exploration"] is None


def test_another_users_source_is_404_for_a_vague_request_too(client, sample, make_user) -> None:
    _, source = sample
    stranger = make_user()
    response = _ask(client, stranger, source["id"], "show me something interesting")
    assert response.status_code == 404 and "No data source" in response.json()["detail"]
