"""/api/plans, /api/usage and POST /api/usage/plan, and the 402 every limited route answers with."""

from __future__ import annotations

import plotly.data

from lumiere.db import session_scope
from lumiere.services.plans import create_plan
from tests.helpers.api import upload

LIMIT_NAMES = {
    "queries_per_month", "sources", "storage_mb", "llm_usd_per_month", "schedules", "share_links",
    "workspace_members", "requests_per_minute",
}


def _plan(name: str, **limits) -> None:
    with session_scope() as session:
        create_plan(session, name=name, title=name.title(), limits=limits)


def _put_on(client, user: dict, plan: str) -> None:
    response = client.post("/api/usage/plan", json={"plan": plan}, headers=user["headers"])
    assert response.status_code == 200, response.text


def test_plans_list_free_and_pro_with_every_limit(client, make_user) -> None:
    user = make_user()
    response = client.get("/api/plans", headers=user["headers"])
    assert response.status_code == 200
    body = response.json()
    names = [plan["name"] for plan in body["items"]]
    assert names[:2] == ["free", "pro"] and body["total"] == len(names)
    for plan in body["items"]:
        assert set(plan["limits"]) == LIMIT_NAMES
        assert {"name", "title", "limits", "price_usd_per_month"} <= set(plan)
    assert client.get("/api/plans").status_code == 401


def test_usage_counts_what_the_user_did_this_month(client, make_user) -> None:
    user = make_user()
    source = upload(client, user, plotly.data.tips(), "tips.csv")
    asked = client.post("/api/ai/query", json={"source_id": source["id"], "question": "average tip by day"},
                        headers=user["headers"])
    assert asked.status_code == 200, asked.text
    body = client.get("/api/usage", headers=user["headers"]).json()
    assert body["plan"] == "free"
    assert body["used"]["queries"] == 1 and body["used"]["sources"] == 1
    assert 0 < body["used"]["storage_mb"] < 5
    assert body["used"]["llm_usd"] == 0
    assert set(body["limits"]) == LIMIT_NAMES
    assert body["period_start"].endswith("-01T00:00:00Z") and body["period_end"] > body["period_start"]
    other = make_user()
    assert client.get("/api/usage", headers=other["headers"]).json()["used"]["queries"] == 0


def test_a_query_over_the_limit_is_a_402_with_limit_used_and_plan(client, make_user) -> None:
    _plan("onequery", queries_per_month=1)
    user = make_user()
    _put_on(client, user, "onequery")
    source = upload(client, user, plotly.data.tips(), "tips.csv")
    ask = {"source_id": source["id"], "question": "average tip by day"}
    assert client.post("/api/ai/query", json=ask, headers=user["headers"]).status_code == 200
    refused = client.post("/api/ai/query", json=ask, headers=user["headers"])
    assert refused.status_code == 402
    body = refused.json()
    assert (body["limit"], body["used"], body["plan"]) == (1, 1, "onequery")
    assert "Upgrade" in body["detail"]
    sql = {"source_id": source["id"], "sql": "SELECT 1"}
    assert client.post("/api/ai/sql", json=sql, headers=user["headers"]).status_code == 402
    history = client.get("/api/queries", headers=user["headers"]).json()
    assert history["total"] == 1  # the refused attempts left nothing behind
    chat = client.post("/api/chat/send", json={"source_id": source["id"], "message": "how many rows?"},
                       headers=user["headers"])
    assert chat.status_code == 402
    assert client.get("/api/chat/sessions", headers=user["headers"]).json()["total"] == 0
    _put_on(client, user, "pro")
    assert client.post("/api/ai/query", json=ask, headers=user["headers"]).status_code == 200


def test_a_source_over_the_limit_is_a_402(client, make_user) -> None:
    _plan("onesource", sources=1)
    user = make_user()
    _put_on(client, user, "onesource")
    upload(client, user, plotly.data.tips(), "tips.csv")
    response = client.post(
        "/api/data/upload",
        files={"file": ("iris.csv", plotly.data.iris().to_csv(index=False).encode(), "text/csv")},
        headers=user["headers"],
    )
    assert response.status_code == 402
    assert response.json()["limit"] == 1 and "data sources" in response.json()["detail"]
    assert client.get("/api/data/sources", headers=user["headers"]).json()["total"] == 1


def test_a_downgrade_that_does_not_fit_is_a_409_listing_what_to_remove(client, make_user) -> None:
    _plan("single", sources=1)
    user = make_user()
    upload(client, user, plotly.data.tips(), "tips.csv")
    upload(client, user, plotly.data.iris(), "iris.csv")
    response = client.post("/api/usage/plan", json={"plan": "single"}, headers=user["headers"])
    assert response.status_code == 409
    assert "data source" in response.json()["detail"] and len(response.json()["remove"]) == 1
    assert client.get("/api/usage", headers=user["headers"]).json()["plan"] == "free"


def test_bad_plan_choices_say_what_to_fix(client, make_user) -> None:
    user = make_user()
    unknown = client.post("/api/usage/plan", json={"plan": "platinum"}, headers=user["headers"])
    assert unknown.status_code == 422 and "free" in unknown.json()["detail"]
    assert client.post("/api/usage/plan", json={}, headers=user["headers"]).status_code == 422
    assert client.post("/api/usage/plan", json={"plan": 3}, headers=user["headers"]).status_code == 422
    assert client.post("/api/usage/plan", json={"plan": "pro"}).status_code == 401
