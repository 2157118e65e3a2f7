"""429 with Retry-After: questions at the plan's requests_per_minute, other requests at the setting,
failed sign-ins per account and per address, registrations per address (API.md, phase 3)."""

from __future__ import annotations

import logging
import re
import secrets

from fastapi.testclient import TestClient

from lumiere.config import reset_settings
from lumiere.db import session_scope
from lumiere.services import rate_limits
from lumiere.services.plans import create_plan

SQL = "SELECT COUNT(*) AS n FROM gapminder"


def _limits(monkeypatch, **settings: int | str) -> None:
    for name, value in settings.items():
        monkeypatch.setenv(f"LUMIERE_{name.upper()}", str(value))
    reset_settings()


def _assert_limited(response, what: str) -> int:
    """A 429 whose Retry-After (seconds) is the wait its detail names."""
    assert response.status_code == 429, response.text
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= 3600
    detail = response.json()["detail"]
    assert what in detail and re.search(rf"wait {wait} seconds", detail), detail
    return wait


def _on_plan(client: TestClient, user: dict, name: str, per_minute: int) -> None:
    with session_scope() as session:
        create_plan(session, name=name, title=name.title(), limits={"requests_per_minute": per_minute})
    assert client.post("/api/usage/plan", json={"plan": name}, headers=user["headers"]).status_code == 200


def test_questions_are_limited_by_the_plan_and_other_routes_still_answer(client, make_user) -> None:
    user, other = make_user(), make_user()
    _on_plan(client, user, "tiny", 3)
    source = client.post("/api/data/sample", headers=user["headers"]).json()
    body = {"source_id": source["id"], "sql": SQL}
    for _ in range(2):
        assert client.post("/api/ai/sql", json=body, headers=user["headers"]).status_code == 200
    assert client.post("/api/ai/query", json={"source_id": source["id"], "question": "how many rows"},
                       headers=user["headers"]).status_code == 200
    _assert_limited(client.post("/api/ai/sql", json=body, headers=user["headers"]), "at most 3 a minute")
    _assert_limited(client.post("/api/chat/send", json={"source_id": source["id"], "message": "how many rows"},
                                headers=user["headers"]), "Too many questions")
    assert client.get("/api/data/sources", headers=user["headers"]).status_code == 200  # another group
    other_source = client.post("/api/data/sample", headers=other["headers"]).json()
    assert client.post("/api/ai/sql", json={"source_id": other_source["id"], "sql": SQL},
                       headers=other["headers"]).status_code == 200  # counted per user


def test_other_requests_have_their_own_setting(client, make_user, monkeypatch) -> None:
    user = make_user()
    _limits(monkeypatch, rate_limit_default_per_minute=2)
    assert [client.get("/api/auth/me", headers=user["headers"]).status_code for _ in range(2)] == [200, 200]
    _assert_limited(client.get("/api/auth/me", headers=user["headers"]), "Too many requests")


def test_the_switch_turns_every_limit_off(client, make_user, monkeypatch) -> None:
    user = make_user()
    _limits(monkeypatch, rate_limit_default_per_minute=1, rate_limits_enabled=0)
    assert {client.get("/api/auth/me", headers=user["headers"]).status_code for _ in range(3)} == {200}


def _login(client: TestClient, email: str, password: str, forwarded_for: str | None = None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post("/api/auth/login", json={"email": email, "password": password}, headers=headers)


def test_failed_logins_lock_the_account_even_for_the_right_password(client, make_user, monkeypatch) -> None:
    user = make_user()
    _limits(monkeypatch, login_failure_limit=3, trusted_proxy_hops=1)
    for n in range(3):  # from three addresses: the account's count still grows
        assert _login(client, user["email"], "wrong-password", f"10.0.0.{n}").status_code == 401
    _assert_limited(_login(client, user["email"], user["password"], "10.0.0.9"), "for this account")
    assert _login(client, user["email"].upper(), user["password"], "10.0.0.9").status_code == 429  # same account
    another = make_user()
    assert _login(client, another["email"], another["password"], "10.0.0.9").status_code == 200


def test_failed_logins_lock_the_address_and_successes_do_not_count(client, make_user, monkeypatch) -> None:
    users = [make_user() for _ in range(4)]
    _limits(monkeypatch, login_failure_limit=3)
    for _ in range(5):
        assert _login(client, users[0]["email"], users[0]["password"]).status_code == 200
    for user in users[:3]:  # one failure each: the address's count reaches 3
        assert _login(client, user["email"], "wrong-password").status_code == 401
    _assert_limited(_login(client, users[3]["email"], users[3]["password"]), "from your address")
    # X-Forwarded-For is not believed without LUMIERE_TRUSTED_PROXY_HOPS
    assert _login(client, users[3]["email"], users[3]["password"], "192.0.2.1").status_code == 429
    elsewhere = TestClient(client.app, raise_server_exceptions=False, client=("192.0.2.7", 4000))
    assert _login(elsewhere, users[3]["email"], users[3]["password"]).status_code == 200


def test_registrations_are_limited_per_address(client, monkeypatch) -> None:
    _limits(monkeypatch, registrations_per_hour=2)
    here = TestClient(client.app, raise_server_exceptions=False, client=("198.51.100.1", 4000))

    def register(n: int):
        return here.post("/api/auth/register",
                         json={"email": f"new{n}@example.com", "password": "s3cret-pass", "name": "New"})

    assert [register(n).status_code for n in range(2)] == [201, 201]
    _assert_limited(register(3), "Too many new accounts")
    assert client.post("/api/auth/register", json={"email": "other@example.com", "password": "s3cret-pass",
                                                    "name": "Other"}).status_code == 201


def test_limits_hold_across_workers_through_redis(client, make_user, monkeypatch) -> None:
    user = make_user()
    _limits(monkeypatch, redis_url="redis://127.0.0.1:6379/0", job_queue_name=f"lumiere_test_{secrets.token_hex(6)}",
            rate_limit_default_per_minute=3)
    rate_limits.reset()
    from lumiere.api import create_api

    workers = [client, TestClient(create_api(), raise_server_exceptions=False)]
    for n in range(3):
        rate_limits.reset()  # each request on "another worker", with nothing counted in its memory
        assert workers[n % 2].get("/api/auth/me", headers=user["headers"]).status_code == 200
    rate_limits.reset()
    _assert_limited(workers[1].get("/api/auth/me", headers=user["headers"]), "Too many requests")


def test_redis_down_the_api_still_answers_and_limits_in_memory(client, make_user, monkeypatch, caplog) -> None:
    user = make_user()
    _limits(monkeypatch, redis_url="redis://127.0.0.1:1/0", rate_limit_default_per_minute=2)
    rate_limits.reset()
    with caplog.at_level(logging.WARNING, logger="lumiere.services.rate_limits"):
        assert [client.get("/api/auth/me", headers=user["headers"]).status_code for _ in range(2)] == [200, 200]
    assert "Redis cannot be reached" in caplog.text
    _assert_limited(client.get("/api/auth/me", headers=user["headers"]), "Too many requests")
