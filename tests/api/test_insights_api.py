"""POST /api/ai/insight, GET/PATCH/DELETE /api/insights: per-user, saved for later, 404 for others."""

from __future__ import annotations

import plotly.data
from fastapi.testclient import TestClient

from tests.fake_llm import FakeLlm
from tests.helpers.api import make_query

TIPS_BY_DAY = 'SELECT "day", SUM(tip) AS tips FROM tips GROUP BY "day"'


def new_insight(client: TestClient, user: dict, query_id: int) -> dict:
    response = client.post("/api/ai/insight", json={"query_id": query_id}, headers=user["headers"])
    assert response.status_code == 201, response.text
    return response.json()


def test_insight_of_a_query(client, make_user) -> None:
    user = make_user()
    query_id = make_query(client, user, TIPS_BY_DAY, "Which day brings the most tips?")
    insight = new_insight(client, user, query_id)
    assert set(insight) >= {"id", "query_id", "text", "facts", "engine", "saved", "created_at"}
    assert (insight["query_id"], insight["engine"], insight["saved"]) == (query_id, "builtin", False)
    assert insight["text"].startswith("**Which day brings the most tips?**")
    top = next(fact for fact in insight["facts"] if fact["kind"] == "top")
    sums = plotly.data.tips().groupby("day")["tip"].sum().sort_values(ascending=False)
    assert [item["label"] for item in top["items"]] == sums.index[:3].tolist()
    assert f"{sums.iloc[0]:,.2f}".rstrip("0") in insight["text"]


def test_saved_insights_list_patch_and_delete(client, make_user) -> None:
    user = make_user()
    query_id = make_query(client, user, TIPS_BY_DAY, "Tips by day")
    first, second = new_insight(client, user, query_id), new_insight(client, user, query_id)

    listed = client.get("/api/insights", headers=user["headers"]).json()
    assert listed["total"] == 2 and [item["id"] for item in listed["items"]] == [second["id"], first["id"]]
    assert client.get("/api/insights?saved=true", headers=user["headers"]).json() == {
        "items": [],
        "total": 0,
        "page": 1,
        "page_size": 50,
    }

    patched = client.patch(f"/api/insights/{first['id']}", json={"saved": True}, headers=user["headers"])
    assert patched.status_code == 200 and patched.json()["saved"] is True
    saved = client.get("/api/insights", params={"saved": "true"}, headers=user["headers"]).json()
    assert [item["id"] for item in saved["items"]] == [first["id"]]
    assert saved["items"][0]["question"] == "Tips by day"
    unsaved = client.get("/api/insights", params={"saved": "false"}, headers=user["headers"]).json()
    assert [item["id"] for item in unsaved["items"]] == [second["id"]]
    page = client.get("/api/insights", params={"page": 2, "page_size": 1}, headers=user["headers"]).json()
    assert ([item["id"] for item in page["items"]], page["total"]) == ([first["id"]], 2)

    assert client.delete(f"/api/insights/{second['id']}", headers=user["headers"]).status_code == 204
    assert client.delete(f"/api/insights/{second['id']}", headers=user["headers"]).status_code == 404
    assert client.get("/api/insights", headers=user["headers"]).json()["total"] == 1


def test_bad_requests_are_4xx(client, make_user) -> None:
    user = make_user()
    insight = new_insight(client, user, make_query(client, user, TIPS_BY_DAY))
    for body in ({}, {"saved": "yes"}, {"saved": 1}, {"saved": None}):
        response = client.patch(f"/api/insights/{insight['id']}", json=body, headers=user["headers"])
        assert response.status_code == 422, (body, response.text)
    for params in ({"saved": "maybe"}, {"page": 0}, {"page_size": 1000}):
        assert client.get("/api/insights", params=params, headers=user["headers"]).status_code == 422
    for body in ({}, {"query_id": "x"}, {"query_id": -1}):
        assert client.post("/api/ai/insight", json=body, headers=user["headers"]).status_code == 422
    assert client.get("/api/insights").status_code == 401
    assert client.post("/api/ai/insight", json={"query_id": insight["query_id"]}).status_code == 401
    assert client.patch("/api/insights/abc", json={"saved": True}, headers=user["headers"]).status_code == 422


def test_another_users_insights_and_queries_are_404(client, make_user) -> None:
    owner, stranger = make_user(), make_user()
    query_id = make_query(client, owner, TIPS_BY_DAY)
    insight = new_insight(client, owner, query_id)
    headers = stranger["headers"]
    assert client.post("/api/ai/insight", json={"query_id": query_id}, headers=headers).status_code == 404
    assert client.patch(f"/api/insights/{insight['id']}", json={"saved": True}, headers=headers).status_code == 404
    assert client.delete(f"/api/insights/{insight['id']}", headers=headers).status_code == 404
    assert client.get("/api/insights", headers=headers).json()["total"] == 0
    mine = client.get("/api/insights", headers=owner["headers"]).json()["items"]
    assert [(item["id"], item["saved"]) for item in mine] == [(insight["id"], False)]


def test_insight_written_by_the_llm(client, make_user, fake_llm: FakeLlm) -> None:
    user = make_user()
    query_id = make_query(client, user, TIPS_BY_DAY, "Tips by day")
    fake_llm.reply_json({"text": "Saturday leads with **260.4** in tips."})
    insight = new_insight(client, user, query_id)
    assert (insight["engine"], insight["text"]) == ("llm", "Saturday leads with **260.4** in tips.")
    fake_llm.reply_json({"text": "Saturday leads with **261** in tips."})
    corrected = new_insight(client, user, query_id)
    assert (
        corrected["engine"] == "builtin"
        and "261" in corrected["text"]
        and "composed from the facts" in corrected["text"]
    )
