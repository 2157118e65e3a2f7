"""POST /api/queries/{id}/feedback and /api/data/source/{id}/examples on the sample dataset (gapminder)."""

from __future__ import annotations

import plotly.data
import pytest

POPULATION_SQL = """SELECT SUM("pop") AS total FROM gapminder WHERE "continent" = 'Asia' AND "year" = 2007"""
MEDIAN_SQL = """SELECT MEDIAN("pop") AS total FROM gapminder WHERE "continent" = 'Asia' AND "year" = 2007"""


@pytest.fixture
def sample(client, make_user):
    user = make_user()
    created = client.post("/api/data/sample", headers=user["headers"])
    assert created.status_code == 201, created.text
    return user, created.json()


def _run(client, user, source, sql, **extra):
    response = client.post("/api/ai/sql", json={"source_id": source["id"], "sql": sql, **extra},
                           headers=user["headers"])
    assert response.status_code == 200, response.text
    return response.json()


def _ask(client, user, source, question):
    return client.post("/api/ai/query", json={"source_id": source["id"], "question": question},
                       headers=user["headers"])


def _feedback(client, user, query_id, body):
    return client.post(f"/api/queries/{query_id}/feedback", json=body, headers=user["headers"])


def _examples(client, user, source):
    response = client.get(f"/api/data/source/{source['id']}/examples", headers=user["headers"])
    assert response.status_code == 200, response.text
    return response.json()


def _population(continent: str, year: int, how: str = "sum") -> float:
    frame = plotly.data.gapminder()
    chosen = frame[(frame.continent == continent) & (frame.year == year)]["pop"]
    return float(chosen.sum() if how == "sum" else chosen.median())


def test_plain_sql_is_not_learned_and_a_thumbs_up_teaches_the_question(client, sample) -> None:
    user, source = sample
    plain = _run(client, user, source, POPULATION_SQL)  # {source_id, sql} works as before and teaches nothing
    assert plain["engine"] == "user" and _examples(client, user, source) == {"items": [], "total": 0}
    asked = _ask(client, user, source, "total population by continent in 2007")
    assert asked.status_code == 200, asked.text

    judged = _feedback(client, user, asked.json()["query_id"], {"verdict": "up"})

    assert judged.status_code == 200, judged.text
    assert judged.json()["feedback"] == "up" and judged.json()["id"] == asked.json()["query_id"]
    assert client.get(f"/api/queries/{asked.json()['query_id']}", headers=user["headers"]).json()["feedback"] == "up"
    listed = _examples(client, user, source)
    assert listed["total"] == 1
    (item,) = listed["items"]
    assert set(item) == {"id", "question", "sql", "origin", "created_at"}
    assert item["origin"] == "confirmed" and item["question"] == "total population by continent in 2007"

    again = _ask(client, user, source, "total population by continent in 1952")
    assert again.status_code == 200, again.text
    result = again.json()
    assert result["engine"] == "user" and result["explanation"].startswith("Reused the SQL you confirmed for")
    frame = plotly.data.gapminder()
    expected = frame[frame.year == 1952].groupby("continent")["pop"].sum()
    names = [column["name"] for column in result["columns"]]
    where = names.index("continent")
    rows = {row[where]: row[1 - where] for row in result["rows"]}
    assert rows == {continent: pytest.approx(float(total)) for continent, total in expected.items()}


def test_an_edit_of_a_question_is_learned_and_a_correction_replaces_it(client, sample) -> None:
    user, source = sample
    question = _ask(client, user, source, "total population in Asia in 2007")
    query_id = question.json()["query_id"] if question.status_code == 200 else None
    edited = _run(client, user, source, POPULATION_SQL, question="total population in Asia in 2007",
                  **({"query_id": query_id} if query_id else {}))
    (pair,) = _examples(client, user, source)["items"]
    assert pair["origin"] == "edited"

    corrected = _feedback(client, user, edited["query_id"], {"verdict": "down", "sql": MEDIAN_SQL})

    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["feedback"] == "down"
    (pair,) = _examples(client, user, source)["items"]
    assert pair["origin"] == "corrected" and "MEDIAN" in pair["sql"].upper()
    reused = _ask(client, user, source, "total population in Americas in 1977").json()
    assert reused["rows"] == [[pytest.approx(_population("Americas", 1977, "median"))]]


def test_a_thumbs_down_forgets_and_deleting_an_example_removes_it(client, sample) -> None:
    user, source = sample
    edited = _run(client, user, source, POPULATION_SQL, question="population in Asia in 2007")
    assert _examples(client, user, source)["total"] == 1
    down = _feedback(client, user, edited["query_id"], {"verdict": "down"})
    assert down.status_code == 200 and down.json()["feedback"] == "down"
    assert _examples(client, user, source)["total"] == 0

    _run(client, user, source, POPULATION_SQL, question="population in Asia in 2007")
    (pair,) = _examples(client, user, source)["items"]
    deleted = client.delete(f"/api/data/source/{source['id']}/examples/{pair['id']}", headers=user["headers"])
    assert deleted.status_code == 204 and _examples(client, user, source)["total"] == 0
    again = client.delete(f"/api/data/source/{source['id']}/examples/{pair['id']}", headers=user["headers"])
    assert again.status_code == 404 and "remembered question" in again.json()["detail"]


def test_bad_feedback_gets_a_4xx_that_says_what_to_fix(client, sample) -> None:
    user, source = sample
    ran = _run(client, user, source, POPULATION_SQL, question="population in Asia in 2007")
    query_id = ran["query_id"]

    sideways = _feedback(client, user, query_id, {"verdict": "sideways"})
    assert sideways.status_code == 422 and "verdict" in sideways.json()["detail"]
    assert _feedback(client, user, query_id, {}).status_code == 422
    with_sql = _feedback(client, user, query_id, {"verdict": "up", "sql": POPULATION_SQL})
    assert with_sql.status_code == 422 and "thumbs down" in with_sql.json()["detail"]
    refused = _feedback(client, user, query_id, {"verdict": "down", "sql": "DELETE FROM gapminder"})
    assert refused.status_code == 400 and refused.json()["detail"]
    failing = _feedback(client, user, query_id, {"verdict": "down", "sql": "SELECT no_such_column FROM gapminder"})
    assert failing.status_code == 400 and "no_such_column" in failing.json()["detail"]
    (pair,) = _examples(client, user, source)["items"]
    assert pair["origin"] == "edited" and pair["sql"] and "DELETE" not in pair["sql"]  # nothing stored, nothing lost
    entry = client.get(f"/api/queries/{query_id}", headers=user["headers"]).json()
    assert entry["feedback"] is None
    missing = _feedback(client, user, 2**40, {"verdict": "up"})
    assert missing.status_code == 404
    bad_body = client.post(f"/api/queries/{query_id}/feedback", content=b"{",
                           headers={**user["headers"], "Content-Type": "application/json"})
    assert bad_body.status_code == 400 and "not valid JSON" in bad_body.json()["detail"]


def test_another_users_objects_are_404_and_no_token_is_401(client, sample, make_user) -> None:
    owner, source = sample
    ran = _run(client, owner, source, POPULATION_SQL, question="population in Asia in 2007")
    (pair,) = _examples(client, owner, source)["items"]
    intruder = make_user()
    assert _feedback(client, intruder, ran["query_id"], {"verdict": "up"}).status_code == 404
    assert _feedback(client, intruder, ran["query_id"], {"verdict": "down"}).status_code == 404
    assert client.get(f"/api/data/source/{source['id']}/examples", headers=intruder["headers"]).status_code == 404
    gone = client.delete(f"/api/data/source/{source['id']}/examples/{pair['id']}", headers=intruder["headers"])
    assert gone.status_code == 404
    assert _examples(client, owner, source)["total"] == 1
    assert client.get(f"/api/queries/{ran['query_id']}", headers=owner["headers"]).json()["feedback"] is None

    borrowed = client.post("/api/ai/sql", json={"source_id": source["id"], "sql": POPULATION_SQL,
                                                 "query_id": ran["query_id"]}, headers=intruder["headers"])
    assert borrowed.status_code == 404 and "history" in borrowed.json()["detail"]

    anonymous = [
        client.post(f"/api/queries/{ran['query_id']}/feedback", json={"verdict": "up"}),
        client.get(f"/api/data/source/{source['id']}/examples"),
        client.delete(f"/api/data/source/{source['id']}/examples/{pair['id']}"),
    ]
    assert [response.status_code for response in anonymous] == [401, 401, 401]


def test_an_edit_named_by_query_id_takes_that_entrys_question(client, sample) -> None:
    user, source = sample
    first = _run(client, user, source, POPULATION_SQL, question="population of asia in 2007")
    client.delete(f"/api/data/source/{source['id']}/examples/{_examples(client, user, source)['items'][0]['id']}",
                  headers=user["headers"])
    edited = _run(client, user, source, MEDIAN_SQL, query_id=first["query_id"])
    assert edited["question"] == "population of asia in 2007"
    (pair,) = _examples(client, user, source)["items"]
    assert pair["origin"] == "edited" and pair["question"] == "population of asia in 2007" and "MEDIAN" in pair["sql"]
