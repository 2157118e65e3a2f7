"""/api/admin on SQLite and PostgreSQL: every route for an admin (bodies as published in the OpenAPI
document), 401 without a token, 403 for anyone else (before the request is even read), 404 for an
unknown user or plan, 409 for the last admin and a taken plan name, 422 for bad input."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest

from lumiere.config import reset_settings
from lumiere.db import session_scope
from lumiere.models import LlmCall
from tests.api.test_openapi_contract import _mismatches, _success_schema

ROUTES = [
    ("get", "/api/admin/metrics", None),
    ("get", "/api/admin/users", None),
    ("patch", "/api/admin/users/1", {"role": "user"}),
    ("patch", "/api/admin/users/1/plan", {"plan": "pro"}),
    ("get", "/api/admin/costs", None),
    ("get", "/api/admin/plans", None),
    ("post", "/api/admin/plans", {"name": "team", "title": "Team"}),
    ("patch", "/api/admin/plans/free", {"title": "Gratis"}),
    ("get", "/api/admin/status", None),
]


def _call(client, method: str, path: str, body: object, headers: dict | None = None):
    return client.request(method.upper(), path, json=body, headers=headers or {})


def test_every_admin_route_is_401_without_a_token_and_403_for_a_user(client, make_user):
    make_user()  # the first account is the admin
    user = make_user()
    for method, path, body in ROUTES:
        assert _call(client, method, path, body).status_code == 401, path
        refused = _call(client, method, path, body, user["headers"])
        assert refused.status_code == 403, (path, refused.text)
        assert refused.json()["detail"] == "This needs an administrator account."
        # a malformed request from a non-admin is still a 403: nothing about the route leaks
        assert _call(client, method, path + "?days=zero&page=x", "not json", user["headers"]).status_code == 403


def test_admin_responses_match_the_published_schemas(client, make_user):
    boss = make_user()
    other = make_user()
    with session_scope() as session:
        session.add(LlmCall(user_id=other["id"], purpose="sql", model="gpt-4o-mini", prompt_tokens=10,
                            completion_tokens=5, cost_usd=0.01, outcome="ok", created_at=datetime.now(UTC)))
    document = client.get("/api/openapi.json").json()
    headers = boss["headers"]
    calls = [
        ("get", "/api/admin/metrics", client.get("/api/admin/metrics?days=7", headers=headers)),
        ("get", "/api/admin/users", client.get("/api/admin/users?search=example&sort=-queries", headers=headers)),
        ("patch", "/api/admin/users/{user_id}",
         client.patch(f"/api/admin/users/{other['id']}", json={"role": "admin"}, headers=headers)),
        ("patch", "/api/admin/users/{user_id}/plan",
         client.patch(f"/api/admin/users/{other['id']}/plan", json={"plan": "pro"}, headers=headers)),
        ("get", "/api/admin/costs", client.get("/api/admin/costs", headers=headers)),
        ("get", "/api/admin/plans", client.get("/api/admin/plans", headers=headers)),
        ("post", "/api/admin/plans", client.post("/api/admin/plans", headers=headers, json={
            "name": "team", "title": "Team", "price_usd_per_month": 49.5, "limits": {"sources": 100}})),
        ("patch", "/api/admin/plans/{name}",
         client.patch("/api/admin/plans/team", json={"limits": {"sources": None}}, headers=headers)),
        ("get", "/api/admin/status", client.get("/api/admin/status", headers=headers)),
    ]
    for method, path, response in calls:
        assert response.status_code == (201 if method == "post" else 200), (path, response.text)
        assert _mismatches(response.json(), _success_schema(document, method, path), document) == [], path
    bodies = {path: response.json() for _, path, response in calls}
    metrics = bodies["/api/admin/metrics"]
    assert len(metrics["per_day"]) == 7 and metrics["users"] == 2 and metrics["llm_calls"] == 1
    assert set(metrics["per_day"][0]) >= {"date", "queries", "llm_usd", "new_users"}
    listed = bodies["/api/admin/users"]
    assert listed["total"] == 2 and listed["page"] == 1 and listed["page_size"] == 50
    assert set(listed["items"][0]["usage"]) == {"queries", "sources", "storage_mb", "llm_usd"}
    assert bodies["/api/admin/users/{user_id}/plan"]["plan"] == "pro"
    assert bodies["/api/admin/users/{user_id}"]["role"] == "admin"
    costs = bodies["/api/admin/costs"]
    assert costs["total_usd"] == 0.01 and costs["items"][0]["email"] == other["email"]
    assert costs["by_model"][0]["model"] == "gpt-4o-mini" and costs["by_purpose"][0]["purpose"] == "sql"
    assert bodies["/api/admin/plans/{name}"]["limits"]["sources"] is None
    assert bodies["/api/admin/plans/{name}"]["price_usd_per_month"] == 49.5
    assert [plan["name"] for plan in client.get("/api/admin/plans", headers=headers).json()["items"]] == [
        "free", "pro", "team"]  # cheapest first
    status = bodies["/api/admin/status"]
    assert status["database"]["ok"] and status["database"]["dialect"] in ("sqlite", "postgresql")
    assert status["redis"] == {"configured": False, "ok": False, "address": None, "latency_ms": None,
                               "error": "Not configured (set LUMIERE_REDIS_URL to use Redis)."}
    assert status["disk"]["free_bytes"] > 0


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/admin/metrics?days=0", None),
        ("get", "/api/admin/metrics?days=367", None),
        ("get", "/api/admin/metrics?days=week", None),
        ("get", "/api/admin/costs?days=400", None),
        ("get", "/api/admin/users?page_size=101", None),
        ("get", "/api/admin/users?page=0", None),
        ("get", "/api/admin/users?sort=password_hash", None),
        ("patch", "/api/admin/users/{me}", {"role": "owner"}),
        ("patch", "/api/admin/users/{me}", {"disabled": "yes"}),
        ("patch", "/api/admin/users/{me}/plan", {"plan": "platinum"}),
        ("post", "/api/admin/plans", {"name": "Bad Name!", "title": "Bad"}),
        ("post", "/api/admin/plans", {"name": "team", "title": "Team", "limits": {"sources": -5}}),
        ("post", "/api/admin/plans", {"name": "team", "title": "Team", "limits": {"sources": "many"}}),
        ("patch", "/api/admin/plans/free", {"price_usd_per_month": -1}),
    ],
)
def test_bad_input_is_a_422_that_says_what_to_fix(client, make_user, method, path, body):
    boss = make_user()
    response = _call(client, method, path.format(me=boss["id"]), body, boss["headers"])
    assert response.status_code == 422, response.text
    assert response.json()["detail"]


def test_unknown_user_or_plan_is_404_and_a_taken_plan_name_409(client, make_user):
    headers = make_user()["headers"]
    assert client.patch("/api/admin/users/999999", json={"role": "user"}, headers=headers).status_code == 404
    assert client.patch("/api/admin/users/999999/plan", json={"plan": "pro"}, headers=headers).status_code == 404
    assert client.patch("/api/admin/plans/nope", json={"title": "Nope"}, headers=headers).status_code == 404
    taken = client.post("/api/admin/plans", json={"name": "pro", "title": "Pro again"}, headers=headers)
    assert taken.status_code == 409 and "already exists" in taken.json()["detail"]


def test_the_last_admin_is_409_and_a_disabled_users_token_is_401_at_once(client, make_user):
    boss = make_user()
    bob = make_user()
    me = f"/api/admin/users/{boss['id']}"
    last = client.patch(me, json={"role": "user"}, headers=boss["headers"])
    assert last.status_code == 409 and "last enabled administrator" in last.json()["detail"]
    assert client.patch(me, json={"disabled": True}, headers=boss["headers"]).status_code == 409

    assert client.get("/api/auth/me", headers=bob["headers"]).status_code == 200
    disabled = client.patch(f"/api/admin/users/{bob['id']}", json={"disabled": True}, headers=boss["headers"])
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert client.get("/api/auth/me", headers=bob["headers"]).status_code == 401
    login = client.post("/api/auth/login", json={"email": bob["email"], "password": bob["password"]})
    assert login.status_code == 403 and "disabled" in login.json()["detail"]
    listed = client.get(f"/api/admin/users?search={bob['email']}", headers=boss["headers"]).json()
    assert listed["items"][0]["disabled"] is True

    enabled = client.patch(f"/api/admin/users/{bob['id']}", json={"disabled": False}, headers=boss["headers"])
    assert enabled.status_code == 200 and enabled.json()["disabled"] is False
    assert client.get("/api/auth/me", headers=bob["headers"]).status_code == 401  # the old token stays ended
    assert client.post("/api/auth/login", json={"email": bob["email"], "password": bob["password"]}).status_code == 200

    promoted = client.patch(f"/api/admin/users/{bob['id']}", json={"role": "admin"}, headers=boss["headers"])
    assert promoted.status_code == 200
    assert client.patch(me, json={"role": "user"}, headers=boss["headers"]).json()["role"] == "user"
    assert client.get("/api/admin/users", headers=boss["headers"]).status_code == 403  # no longer an admin


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_status_pings_the_configured_redis_within_a_second(client, make_user, monkeypatch):
    headers = make_user()["headers"]
    monkeypatch.setenv("LUMIERE_REDIS_URL", "redis://127.0.0.1:6379/0")
    reset_settings()
    up = client.get("/api/admin/status", headers=headers).json()["redis"]
    assert up["configured"] and up["ok"] and up["address"] == "127.0.0.1:6379" and up["latency_ms"] < 1000
    monkeypatch.delenv("LUMIERE_REDIS_URL")
    monkeypatch.setenv("REFLEX_REDIS_URL", f"redis://:secret-pass@127.0.0.1:{_closed_port()}")
    reset_settings()
    down = client.get("/api/admin/status", headers=headers)
    assert down.status_code == 200
    redis = down.json()["redis"]
    assert redis["configured"] and not redis["ok"] and "did not answer" in redis["error"]
    assert "secret-pass" not in down.text
    monkeypatch.delenv("REFLEX_REDIS_URL")
    reset_settings()
