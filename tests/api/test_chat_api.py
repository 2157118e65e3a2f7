"""/api/chat on the sample dataset (gapminder) with the built-in engine: every route, its errors,
isolation between users, and bodies that match the published schemas."""

from __future__ import annotations

import plotly.data
import pytest

from tests.api.test_openapi_contract import _mismatches, _success_schema


@pytest.fixture
def sample(client, make_user):
    user = make_user()
    created = client.post("/api/data/sample", headers=user["headers"])
    assert created.status_code == 201, created.text
    return user, created.json()


def _send(client, user, source_id, message, session_id=None):
    body = {"source_id": source_id, "message": message}
    if session_id is not None:
        body["session_id"] = session_id
    return client.post("/api/chat/send", json=body, headers=user["headers"])


def test_a_conversation_over_rest(client, sample) -> None:
    user, source = sample
    document = client.get("/api/openapi.json").json()
    first = _send(client, user, source["id"], "average life expectancy by continent in 2007")
    assert first.status_code == 200, first.text
    body = first.json()
    assert set(body) == {"session_id", "user_message", "reply"}
    assert _mismatches(body, _success_schema(document, "post", "/api/chat/send"), document) == []
    assert body["user_message"]["role"] == "user" and body["user_message"]["result"] is None
    reply = body["reply"]
    assert set(reply) == {"id", "role", "text", "query_id", "result", "created_at"}
    assert reply["role"] == "assistant" and reply["query_id"] == reply["result"]["query_id"]
    gapminder = plotly.data.gapminder()
    expected = gapminder[gapminder.year == 2007].groupby("continent").lifeExp.mean()
    names = [column["name"] for column in reply["result"]["columns"]]
    at = names.index("continent")
    assert {row[at]: row[1 - at] for row in reply["result"]["rows"]} == {
        continent: pytest.approx(value) for continent, value in expected.items()
    }
    # the answer is a history entry, with the SQL that ran
    entry = client.get(f"/api/queries/{reply['query_id']}", headers=user["headers"]).json()
    assert entry["sql"] == reply["result"]["sql"]

    session_id = body["session_id"]
    second = _send(client, user, source["id"], "how many countries are there", session_id)
    assert second.status_code == 200 and second.json()["session_id"] == session_id

    listed = client.get("/api/chat/sessions", headers=user["headers"])
    assert listed.status_code == 200
    assert _mismatches(listed.json(), _success_schema(document, "get", "/api/chat/sessions"), document) == []
    (item,) = listed.json()["items"]
    assert item["id"] == session_id and item["message_count"] == 4 and item["source_id"] == source["id"]
    assert item["title"] == "average life expectancy by continent in 2007"

    history = client.get(f"/api/chat/history?session_id={session_id}", headers=user["headers"])
    assert history.status_code == 200
    assert _mismatches(history.json(), _success_schema(document, "get", "/api/chat/history"), document) == []
    assert [m["role"] for m in history.json()["items"]] == ["user", "assistant", "user", "assistant"]
    assert history.json()["items"][2]["text"] == "how many countries are there"

    renamed = client.patch(f"/api/chat/session/{session_id}", json={"title": "Life expectancy"},
                           headers=user["headers"])
    assert renamed.status_code == 200 and renamed.json()["title"] == "Life expectancy"
    path = "/api/chat/session/{session_id}"
    assert _mismatches(renamed.json(), _success_schema(document, "patch", path), document) == []

    deleted = client.delete(f"/api/chat/session/{session_id}", headers=user["headers"])
    assert deleted.status_code == 204
    assert client.get("/api/chat/sessions", headers=user["headers"]).json() == {"items": [], "total": 0}
    assert client.get(f"/api/chat/history?session_id={session_id}", headers=user["headers"]).status_code == 404


def test_an_unanswerable_message_is_a_200_reply_with_suggestions(client, sample) -> None:
    user, source = sample
    response = _send(client, user, source["id"], "what is the airspeed velocity of an unladen swallow")
    assert response.status_code == 200, response.text
    reply = response.json()["reply"]
    assert reply["result"] is None and reply["query_id"] is None and "You could ask:" in reply["text"]


def test_every_route_needs_a_signed_in_user(client, sample) -> None:
    _user, source = sample
    calls = [
        client.post("/api/chat/send", json={"source_id": source["id"], "message": "hi"}),
        client.get("/api/chat/sessions"),
        client.get("/api/chat/history?session_id=1"),
        client.patch("/api/chat/session/1", json={"title": "x"}),
        client.delete("/api/chat/session/1"),
    ]
    assert [response.status_code for response in calls] == [401] * 5


def test_another_users_conversation_is_404_even_for_a_follow_up(client, sample, make_user) -> None:
    owner, source = sample
    session_id = _send(client, owner, source["id"], "population by continent in 2007").json()["session_id"]
    other = make_user()
    other_source = client.post("/api/data/sample", headers=other["headers"]).json()
    responses = [
        _send(client, other, other_source["id"], "only for Europe", session_id),
        client.get(f"/api/chat/history?session_id={session_id}", headers=other["headers"]),
        client.patch(f"/api/chat/session/{session_id}", json={"title": "mine"}, headers=other["headers"]),
        client.delete(f"/api/chat/session/{session_id}", headers=other["headers"]),
        # the owner's source is not the other user's either
        _send(client, other, source["id"], "population by continent"),
    ]
    assert [response.status_code for response in responses] == [404] * 5
    assert all("detail" in response.json() for response in responses)
    assert client.get(f"/api/chat/history?session_id={session_id}", headers=owner["headers"]).json()["total"] == 2
    assert client.get("/api/chat/sessions", headers=other["headers"]).json() == {"items": [], "total": 0}


def test_bad_input_is_422_with_what_to_fix(client, sample) -> None:
    user, source = sample
    second = client.post("/api/data/sample", headers=user["headers"]).json()
    session_id = _send(client, user, source["id"], "population by continent in 2007").json()["session_id"]
    cases = [
        (_send(client, user, source["id"], "   "), "message"),
        (_send(client, user, source["id"], "x" * 1001), "1,000"),
        (_send(client, user, second["id"], "only for Europe", session_id), f"about data source {source['id']}"),
        (client.post("/api/chat/send", json={"message": "hi"}, headers=user["headers"]), "source_id"),
        (client.patch(f"/api/chat/session/{session_id}", json={"title": " "}, headers=user["headers"]), "title"),
        (client.patch(f"/api/chat/session/{session_id}", json={"title": "t" * 201}, headers=user["headers"]), "200"),
        (client.get("/api/chat/history?session_id=abc", headers=user["headers"]), "session_id"),
    ]
    for response, hint in cases:
        assert response.status_code == 422, response.text
        assert hint in response.text
    # nothing half-written: the conversation still has its first exchange only
    assert client.get(f"/api/chat/history?session_id={session_id}", headers=user["headers"]).json()["total"] == 2
    assert client.get("/api/chat/sessions", headers=user["headers"]).json()["total"] == 1
    assert client.delete("/api/chat/session/999999", headers=user["headers"]).status_code == 404
