"""Phase 1 of the REST contract: register, login, me, users; and every bad request gets a helpful 4xx."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from lumiere.config import get_settings

USER_FIELDS = {"id", "email", "name", "role", "plan", "theme", "created_at"}


def test_register_login_me_flow(client):
    created = client.post(
        "/api/auth/register", json={"email": "ada@example.com", "password": "analytical", "name": "Ada"}
    )
    assert created.status_code == 201
    user = created.json()
    assert set(user) == USER_FIELDS
    assert user["role"] == "admin" and user["plan"] == "free"

    login = client.post("/api/auth/login", json={"email": "ADA@example.com", "password": "analytical"})
    assert login.status_code == 200
    body = login.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == get_settings().token_ttl_minutes * 60
    assert body["user"] == user
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json() == user


def test_second_account_is_a_user(client, make_user):
    make_user()
    assert make_user()["role"] == "user"


def test_wrong_login_gives_the_same_401_whether_or_not_the_email_exists(client, make_user):
    make_user(email="real@example.com", password="password-1")
    wrong_password = client.post("/api/auth/login", json={"email": "real@example.com", "password": "password-2"})
    unknown_email = client.post("/api/auth/login", json={"email": "ghost@example.com", "password": "password-1"})
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()


def test_password_never_leaves_the_server(client, make_user):
    user = make_user(password="super-secret-1")
    for response in (
        client.get("/api/auth/me", headers=user["headers"]),
        client.get(f"/api/users/{user['id']}", headers=user["headers"]),
        client.post("/api/auth/login", json={"email": user["email"], "password": "super-secret-1"}),
    ):
        assert "super-secret-1" not in response.text and "password" not in response.text


def _token(claims: dict, key: str | None, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)  # type: ignore[arg-type]  # key None: forged alg=none tokens


def test_forged_expired_and_alg_none_tokens_are_401(client, make_user):
    user = make_user()
    now = datetime.now(UTC)
    valid_claims = {"sub": str(user["id"]), "ver": 0, "iat": now, "exp": now + timedelta(hours=1)}
    secret = get_settings().resolved_secret_key
    tokens = {
        "forged": _token(valid_claims, "someone-elses-key-that-is-long-enough!"),
        "expired": _token({**valid_claims, "iat": now - timedelta(hours=3), "exp": now - timedelta(hours=1)}, secret),
        "alg none": _token(valid_claims, None, algorithm="none"),
        "no exp": _token({"sub": str(user["id"]), "ver": 0, "iat": now}, secret),
        "no jti (cannot be revoked)": _token(valid_claims, secret),
        "not a jwt": "abc.def.ghi",
    }
    for label, token in tokens.items():
        response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, label
        assert response.json()["detail"], label
        assert response.headers.get("www-authenticate") == "Bearer"
    assert client.get("/api/auth/me").status_code == 401
    assert client.get("/api/auth/me", headers={"Authorization": "Basic dXNlcjpwYXNz"}).status_code == 401


def test_logout_revokes_that_token_only(client, make_user):
    user = make_user()
    second_login = client.post("/api/auth/login", json={"email": user["email"], "password": user["password"]})
    other_session = {"Authorization": f"Bearer {second_login.json()['access_token']}"}

    logout = client.post("/api/auth/logout", headers=user["headers"])
    assert logout.status_code == 204 and logout.content == b""
    for path in ("/api/auth/me", "/api/data/sources", f"/api/users/{user['id']}"):
        refused = client.get(path, headers=user["headers"])
        assert refused.status_code == 401, path
        assert refused.json()["detail"] == "You signed out of this session. Sign in again."
    assert client.post("/api/auth/logout", headers=user["headers"]).status_code == 401
    assert client.get("/api/auth/me", headers=other_session).status_code == 200
    assert client.get("/api/data/sources", headers=other_session).status_code == 200
    assert client.post("/api/auth/logout").status_code == 401


def test_users_get_and_patch(client, make_user):
    admin, alice, bob = make_user(), make_user(name="Alice"), make_user(name="Bob")
    assert client.get(f"/api/users/{alice['id']}", headers=alice["headers"]).json()["name"] == "Alice"
    assert client.get(f"/api/users/{bob['id']}", headers=alice["headers"]).status_code == 404
    assert client.get(f"/api/users/{bob['id']}", headers=admin["headers"]).status_code == 200

    renamed = client.patch(f"/api/users/{alice['id']}", json={"name": "Alice Liddell"}, headers=alice["headers"])
    assert renamed.status_code == 200 and renamed.json()["name"] == "Alice Liddell"
    assert client.patch(f"/api/users/{bob['id']}", json={"name": "X"}, headers=alice["headers"]).status_code == 404

    changed = client.patch(
        f"/api/users/{alice['id']}",
        json={"password": "a-new-password", "current_password": alice["password"]},
        headers=alice["headers"],
    )
    assert changed.status_code == 200
    assert client.get("/api/auth/me", headers=alice["headers"]).status_code == 401  # old token revoked
    fresh = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert client.get("/api/auth/me", headers=fresh).status_code == 200
    login = client.post("/api/auth/login", json={"email": alice["email"], "password": "a-new-password"})
    assert login.status_code == 200


def test_email_taken_on_patch_is_409(client, make_user):
    alice, bob = make_user(), make_user()
    response = client.patch(
        f"/api/users/{alice['id']}",
        json={"email": bob["email"], "current_password": alice["password"]},
        headers=alice["headers"],
    )
    assert response.status_code == 409


BAD_REGISTRATIONS = [
    # (label, body or raw bytes, status, fragment of the detail)
    ("malformed JSON", b'{"email": "a@example.com", ', 400, "not valid JSON"),
    ("empty body", b"", 422, "required"),
    ("array body", [1, 2], 422, "JSON object"),
    ("missing password", {"email": "a@example.com", "name": "A"}, 422, "password is required"),
    ("missing everything", {}, 422, "email is required"),
    ("number as email", {"email": 42, "password": "password-1", "name": "A"}, 422, "email"),
    ("invalid email", {"email": "not-an-email", "password": "password-1", "name": "A"}, 422, "email"),
    ("short password", {"email": "a@example.com", "password": "1234567", "name": "A"}, 422, "at least 8"),
    ("73-byte password", {"email": "a@example.com", "password": "p" * 73, "name": "A"}, 422, "72 bytes"),
    ("emoji password", {"email": "a@example.com", "password": "😀" * 19, "name": "A"}, 422, "72 bytes"),
    ("oversize name", {"email": "a@example.com", "password": "password-1", "name": "n" * 5000}, 422, "name"),
    ("blank name", {"email": "a@example.com", "password": "password-1", "name": "   "}, 422, "name"),
    ("oversize email", {"email": "e" * 400 + "@example.com", "password": "password-1", "name": "A"}, 422, "email"),
    ("null name", {"email": "a@example.com", "password": "password-1", "name": None}, 422, "name"),
]


@pytest.mark.parametrize(
    ("label", "body", "status", "fragment"), BAD_REGISTRATIONS, ids=[row[0] for row in BAD_REGISTRATIONS]
)
def test_bad_registrations(client, label, body, status, fragment):
    if isinstance(body, bytes):
        response = client.post("/api/auth/register", content=body, headers={"Content-Type": "application/json"})
    else:
        response = client.post("/api/auth/register", json=body)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and fragment.lower() in detail.lower()
    assert "Traceback" not in response.text
    # nothing was created
    assert client.post("/api/auth/login", json={"email": "a@example.com", "password": "password-1"}).status_code == 401


BAD_AUTHENTICATED_REQUESTS = [
    ("GET", "/api/users/abc", None, 422),
    ("GET", "/api/users/0", None, 422),
    ("GET", "/api/users/-5", None, 422),
    ("GET", "/api/users/99999999", None, 404),
    ("GET", "/api/users/99999999999999999999999", None, 422),
    ("PATCH", "/api/users/{me}", b"{not json", 400),
    ("PATCH", "/api/users/{me}", {"name": ["a", "list"]}, 422),
    ("PATCH", "/api/users/{me}", {"email": "bad"}, 422),
    ("PATCH", "/api/users/{me}", {"password": "short"}, 422),
    ("PATCH", "/api/users/{me}", {"password": "long-enough", "current_password": "wrong"}, 422),
    ("PATCH", "/api/users/{me}", {"name": "x" * 1000}, 422),
    ("PATCH", "/api/users/{other}", {"name": "Mallory"}, 404),
    ("DELETE", "/api/auth/me", None, 405),
    ("GET", "/api/no/such/route", None, 404),
]


@pytest.mark.parametrize(("method", "path", "body", "status"), BAD_AUTHENTICATED_REQUESTS)
def test_bad_authenticated_requests(client, make_user, method, path, body, status):
    make_user()  # the admin; `me` is an ordinary user
    me, other = make_user(), make_user()
    path = path.format(me=me["id"], other=other["id"])
    kwargs: dict = {"headers": dict(me["headers"])}
    if isinstance(body, bytes):
        kwargs["content"] = body
        kwargs["headers"]["Content-Type"] = "application/json"
    elif body is not None:
        kwargs["json"] = body
    response = client.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]
    unchanged = client.get(f"/api/users/{other['id']}", headers=other["headers"]).json()
    assert unchanged["name"] == "Test User"


def test_openapi_and_docs_are_served(client):
    spec = client.get("/api/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    for path in ("/api/auth/register", "/api/auth/login", "/api/auth/me", "/api/users/{user_id}"):
        assert path in paths
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "/api/openapi.json" in docs.text
