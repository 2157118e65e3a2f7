"""Settings over REST: personal API tokens, the user's own LLM, the theme and deleting an account."""

from __future__ import annotations

import plotly.data
import pytest
from sqlmodel import select

from lumiere.config import reset_settings
from lumiere.db import session_scope
from lumiere.models import LlmCall, Source, User
from lumiere.services.api_tokens import MAX_TOKENS_PER_USER
from tests.helpers.api import upload


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- API tokens ---------------------------------------------------------------------------------


def test_a_token_is_created_once_listed_without_its_value_and_works_as_bearer(client, make_user):
    user = make_user()
    created = client.post("/api/tokens", json={"name": "nightly export"}, headers=user["headers"])
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == {"id", "name", "prefix", "token", "created_at", "last_used_at"}
    assert body["token"].startswith("lum_") and body["token"].startswith(body["prefix"])
    assert body["last_used_at"] is None and body["created_at"].endswith("Z")

    me = client.get("/api/auth/me", headers=_bearer(body["token"]))
    assert me.status_code == 200 and me.json()["id"] == user["id"]

    listed = client.get("/api/tokens", headers=user["headers"])
    assert listed.status_code == 200
    (item,) = listed.json()["items"]
    assert listed.json()["total"] == 1
    assert set(item) == {"id", "name", "prefix", "created_at", "last_used_at"}
    assert item["last_used_at"] is not None and body["token"] not in listed.text


def test_revoking_a_token_is_204_and_it_is_401_at_once(client, make_user):
    user = make_user()
    token = client.post("/api/tokens", json={"name": "ci"}, headers=user["headers"]).json()
    revoked = client.delete(f"/api/tokens/{token['id']}", headers=user["headers"])
    assert revoked.status_code == 204 and revoked.content == b""
    refused = client.get("/api/auth/me", headers=_bearer(token["token"]))
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert client.delete(f"/api/tokens/{token['id']}", headers=user["headers"]).status_code == 404


def test_another_users_token_is_404_and_stays_valid(client, make_user):
    alice, bob = make_user(), make_user()
    token = client.post("/api/tokens", json={"name": "alice's"}, headers=alice["headers"]).json()
    assert client.delete(f"/api/tokens/{token['id']}", headers=bob["headers"]).status_code == 404
    assert client.get("/api/tokens", headers=bob["headers"]).json() == {"items": [], "total": 0}
    assert client.get("/api/auth/me", headers=_bearer(token["token"])).status_code == 200


def test_logout_with_a_personal_token_revokes_that_token(client, make_user):
    user = make_user()
    token = client.post("/api/tokens", json={"name": "one-off"}, headers=user["headers"]).json()
    assert client.post("/api/auth/logout", headers=_bearer(token["token"])).status_code == 204
    assert client.get("/api/auth/me", headers=_bearer(token["token"])).status_code == 401
    assert client.get("/api/tokens", headers=user["headers"]).json()["total"] == 0
    assert client.get("/api/auth/me", headers=user["headers"]).status_code == 200  # the sign-in token is not touched


@pytest.mark.parametrize(("body", "status"), [({}, 422), ({"name": ""}, 422), ({"name": "x" * 101}, 422),
                                              ({"name": 5}, 422), ({"name": "x" * 600}, 422)])
def test_bad_token_names_are_422(client, make_user, body, status):
    user = make_user()
    response = client.post("/api/tokens", json=body, headers=user["headers"])
    assert response.status_code == status and response.json()["detail"]


def test_the_21st_token_is_422(client, make_user):
    user = make_user()
    for number in range(MAX_TOKENS_PER_USER):
        assert client.post("/api/tokens", json={"name": f"t{number}"}, headers=user["headers"]).status_code == 201
    refused = client.post("/api/tokens", json={"name": "one more"}, headers=user["headers"])
    assert refused.status_code == 422 and "Revoke one" in refused.json()["detail"]


def test_token_routes_need_a_signed_in_user(client):
    assert client.get("/api/tokens").status_code == 401
    assert client.post("/api/tokens", json={"name": "x"}).status_code == 401
    assert client.delete("/api/tokens/1").status_code == 401


# --- the user's own LLM ---------------------------------------------------------------------------


def test_llm_settings_round_trip_without_ever_returning_the_key(client, make_user):
    user = make_user()
    assert client.get("/api/settings/llm", headers=user["headers"]).json() == {
        "has_key": False, "base_url": None, "model": None,
    }
    put = client.put("/api/settings/llm", headers=user["headers"],
                     json={"api_key": "sk-secret-value-1", "base_url": "https://llm.example.com/v1", "model": "m1"})
    assert put.status_code == 200
    assert put.json() == {"has_key": True, "base_url": "https://llm.example.com/v1", "model": "m1"}
    assert "sk-secret" not in put.text
    changed = client.put("/api/settings/llm", json={"model": ""}, headers=user["headers"])
    assert changed.json() == {"has_key": True, "base_url": "https://llm.example.com/v1", "model": None}
    assert client.delete("/api/settings/llm", headers=user["headers"]).status_code == 204
    assert client.get("/api/settings/llm", headers=user["headers"]).json()["has_key"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"base_url": "http://127.0.0.1:8000/v1"}, "base_url"),
        ({"base_url": "https://u:p@x.example.com"}, "base_url"),
        ({"base_url": "file:///etc/passwd"}, "base_url"),
        ({"model": "a\tb"}, "model"),
        ({"api_key": "has space"}, "api_key"),
    ],
)
def test_bad_llm_settings_are_422_naming_the_field(client, make_user, body, field):
    user = make_user()
    response = client.put("/api/settings/llm", json=body, headers=user["headers"])
    assert response.status_code == 422 and response.json()["field"] == field


def test_the_connection_test_reports_ok_or_the_error_as_200(client, make_user, fake_llm, monkeypatch):
    monkeypatch.setenv("LUMIERE_ALLOW_PRIVATE_HOSTS", "true")
    reset_settings()
    user = make_user()
    refused = client.post("/api/settings/llm/test", headers=user["headers"])
    assert refused.status_code == 422 and refused.json()["field"] == "api_key"
    client.put("/api/settings/llm", json={"api_key": "sk-own-1", "base_url": fake_llm.url, "model": "mine"},
               headers=user["headers"])
    fake_llm.reply_json({"ok": True})
    passed = client.post("/api/settings/llm/test", headers=user["headers"])
    assert passed.status_code == 200 and passed.json()["ok"] is True
    fake_llm.reply_status(404, {"error": {"message": "The model `mine` does not exist", "code": "model_not_found"}})
    failed = client.post("/api/settings/llm/test", headers=user["headers"])
    assert failed.status_code == 200 and failed.json()["ok"] is False
    assert "does not exist" in failed.json()["detail"]
    with session_scope() as session:
        calls = session.exec(select(LlmCall)).all()
    assert [(call.purpose, call.user_key) for call in calls] == [("test", True), ("test", True)]


def test_llm_routes_need_a_signed_in_user(client):
    assert client.get("/api/settings/llm").status_code == 401
    assert client.put("/api/settings/llm", json={}).status_code == 401
    assert client.delete("/api/settings/llm").status_code == 401
    assert client.post("/api/settings/llm/test").status_code == 401


# --- theme ----------------------------------------------------------------------------------------


def test_the_theme_is_set_with_patch_and_returned_with_the_user(client, make_user):
    user = make_user()
    patched = client.patch(f"/api/users/{user['id']}", json={"theme": "dark"}, headers=user["headers"])
    assert patched.status_code == 200 and patched.json()["theme"] == "dark"
    assert client.get("/api/auth/me", headers=user["headers"]).json()["theme"] == "dark"
    bad = client.patch(f"/api/users/{user['id']}", json={"theme": "sepia"}, headers=user["headers"])
    assert bad.status_code == 422 and "theme" in bad.json()["detail"]


# --- deleting an account --------------------------------------------------------------------------


def test_deleting_your_account_is_204_and_everything_goes(client, make_user, data_dir):
    make_user()  # the first account is the admin
    user = make_user(password="delete-me-pw")
    upload(client, user, plotly.data.tips(), "tips.csv")
    token = client.post("/api/tokens", json={"name": "script"}, headers=user["headers"]).json()["token"]
    files = list((data_dir / "datasets").rglob("*.duckdb"))
    assert len(files) == 1

    wrong = client.request("DELETE", f"/api/users/{user['id']}", json={"current_password": "nope-nope"},
                           headers=user["headers"])
    assert wrong.status_code == 422 and wrong.json()["field"] == "current_password"
    missing = client.request("DELETE", f"/api/users/{user['id']}", headers=user["headers"])
    assert missing.status_code == 422
    deleted = client.request("DELETE", f"/api/users/{user['id']}", json={"current_password": "delete-me-pw"},
                             headers=user["headers"])
    assert deleted.status_code == 204, deleted.text
    assert not any(path.exists() for path in files)
    assert client.get("/api/auth/me", headers=user["headers"]).status_code == 401
    assert client.get("/api/auth/me", headers=_bearer(token)).status_code == 401
    with session_scope() as session:
        assert session.get(User, user["id"]) is None
        assert session.exec(select(Source)).all() == []


def test_others_get_404_an_admin_may_delete_and_the_last_admin_gets_409(client, make_user):
    admin = make_user(password="admin-password")
    alice, bob = make_user(password="alice-password"), make_user(password="bob-password")
    other = client.request("DELETE", f"/api/users/{bob['id']}", json={"current_password": "alice-password"},
                           headers=alice["headers"])
    assert other.status_code == 404
    last = client.request("DELETE", f"/api/users/{admin['id']}", json={"current_password": "admin-password"},
                          headers=admin["headers"])
    assert last.status_code == 409 and "someone else an admin" in last.json()["detail"]
    by_admin = client.request("DELETE", f"/api/users/{bob['id']}", json={"current_password": "admin-password"},
                              headers=admin["headers"])
    assert by_admin.status_code == 204
    assert client.get(f"/api/users/{bob['id']}", headers=admin["headers"]).status_code == 404
    assert client.get("/api/auth/me", headers=alice["headers"]).status_code == 200
    assert client.request("DELETE", "/api/users/1", json={"current_password": "x"}).status_code == 401
