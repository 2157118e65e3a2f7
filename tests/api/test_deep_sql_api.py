"""SQL nested too deeply to parse is refused with a 400 on every route that takes or replays SQL, never a 500."""

from __future__ import annotations

DEEP_SQL = "SELECT " + "(" * 3000 + "1" + ")" * 3000


def test_deeply_nested_sql_is_a_400_and_is_recorded_as_written(client, make_user):
    user = make_user()
    source = client.post("/api/data/sample", headers=user["headers"]).json()
    response = client.post("/api/ai/sql", json={"source_id": source["id"], "sql": DEEP_SQL}, headers=user["headers"])
    assert response.status_code == 400, response.text
    assert "nested too deeply" in response.json()["detail"]

    entry = client.get("/api/queries", headers=user["headers"]).json()["items"][0]
    assert entry["status"] == "refused" and entry["sql"] == DEEP_SQL
    shown = client.get(f"/api/queries/{entry['id']}", headers=user["headers"])
    assert shown.status_code == 200 and shown.json()["sql"] == DEEP_SQL

    rerun = client.post(f"/api/queries/{entry['id']}/rerun", headers=user["headers"])
    assert rerun.status_code == 400 and "nested too deeply" in rerun.json()["detail"]


def test_a_deeply_nested_question_is_a_4xx(client, make_user):
    user = make_user()
    source = client.post("/api/data/sample", headers=user["headers"]).json()
    question = "(" * 490 + "population" + ")" * 490
    response = client.post(
        "/api/ai/query", json={"source_id": source["id"], "question": question}, headers=user["headers"]
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["detail"]
