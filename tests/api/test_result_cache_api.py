"""`cached` in the API's result (API.md: true when the rows came from the result cache): the same
question or SQL again is answered from the cache, still counted as a query of the plan."""

from __future__ import annotations

from lumiere.services import result_cache


def test_a_repeated_question_says_cached_and_still_counts(client, make_user) -> None:
    result_cache.reset()
    user = make_user()
    source = client.post("/api/data/sample", headers=user["headers"]).json()
    ask = {"source_id": source["id"], "question": "average life expectancy by continent"}
    first = client.post("/api/ai/query", json=ask, headers=user["headers"])
    again = client.post("/api/ai/query", json=ask, headers=user["headers"])
    assert first.status_code == again.status_code == 200, again.text
    assert first.json()["cached"] is False and again.json()["cached"] is True
    assert again.json()["rows"] == first.json()["rows"] and again.json()["query_id"] != first.json()["query_id"]
    one_line = "   ".join(first.json()["sql"].split()).replace("SELECT", "select")  # the same SQL, spaced otherwise
    sql = {"source_id": source["id"], "sql": one_line}
    assert client.post("/api/ai/sql", json=sql, headers=user["headers"]).json()["cached"] is True
    assert client.get("/api/usage", headers=user["headers"]).json()["used"]["queries"] == 3
    assert client.delete(f"/api/data/source/{source['id']}", headers=user["headers"]).status_code == 204
    source = client.post("/api/data/sample", headers=user["headers"]).json()  # the same data, a new source
    ask["source_id"] = source["id"]
    assert client.post("/api/ai/query", json=ask, headers=user["headers"]).json()["cached"] is False
