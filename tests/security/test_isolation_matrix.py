"""Every REST route times every kind of caller, against one workspace holding one object of each kind.

The routes come from the app's own `/api/openapi.json`: a route without a row here fails the test, so
a route added later must say who may call it. The callers: the object's `owner` (an editor of the
workspace who made them), a workspace `admin`, another `editor`, a `viewer`, a `non_member`, and an
`anonymous` caller. Non-members get 404 for anything of the workspace; members without the right 403.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

PERSONAS = ("anonymous", "non_member", "viewer", "editor", "admin", "owner")  # the order requests are made in
PASSWORD = "s3cret-pass"
TIPS = b"total_bill,tip,day\n16.99,1.01,Sun\n10.34,1.66,Sun\n21.01,3.5,Sat\n23.68,3.31,Sat\n"
_emails = itertools.count(1)

Body = dict[str, Any] | Callable[["World", str], dict[str, Any]] | None


@dataclass(frozen=True)
class Row:
    """Expected statuses in the order owner, admin, editor, viewer, non_member, anonymous."""

    path: str  # with {placeholders} filled from the world, and any query string
    expect: tuple[int, int, int, int, int, int]
    body: Body = None
    restore: bool = False  # a success changes the world: build the objects again before the next caller
    files: bool = False

    def expected(self, persona: str) -> int:
        order = ("owner", "admin", "editor", "viewer", "non_member", "anonymous")
        return self.expect[order.index(persona)]


def members(code: int, outsider: int = 404) -> tuple[int, int, int, int, int, int]:
    """Every member alike (see, ask); a non-member 404."""
    return (code, code, code, code, outsider, 401)


def changers(code: int) -> tuple[int, int, int, int, int, int]:
    """Editors and admins (and the owner, an editor) change; a viewer 403; a non-member 404."""
    return (code, code, code, 403, 404, 401)


def admins(code: int) -> tuple[int, int, int, int, int, int]:
    """Only the workspace's admin; the owner is an editor."""
    return (403, code, 403, 403, 404, 401)


def anyone_signed_in(code: int) -> tuple[int, int, int, int, int, int]:
    return (code, code, code, code, code, 401)


def mine(code: int) -> tuple[int, int, int, int, int, int]:
    """The owner's own account things: others are told they do not exist."""
    return (code, 404, 404, 404, 404, 401)


NOT_SITE_ADMIN = anyone_signed_in(403)
SCHEDULE = {"query_id": "{query_id}", "cron": "0 8 * * MON", "timezone": "UTC", "recipients": ["team@example.com"],
            "format": "csv"}
PLAN = {"name": "team", "title": "Team", "price_usd_per_month": 5, "limits": {}}

MATRIX: dict[tuple[str, str], Row] = {
    ("POST", "/api/auth/register"): Row("/api/auth/register", (201,) * 6, lambda world, _: {
        "email": f"someone{next(_emails)}@example.com", "password": PASSWORD, "name": "Someone"}),
    ("POST", "/api/auth/login"): Row("/api/auth/login", (200,) * 6,
                                     lambda world, _: {"email": world.emails["owner"], "password": PASSWORD}),
    ("GET", "/api/auth/me"): Row("/api/auth/me", anyone_signed_in(200)),
    ("POST", "/api/auth/logout"): Row("/api/auth/logout", anyone_signed_in(204), restore=True),
    ("GET", "/api/users/{user_id}"): Row("/api/users/{owner_id}", mine(200)),
    ("PATCH", "/api/users/{user_id}"): Row("/api/users/{owner_id}", mine(200), {"name": "Owner"}),
    ("DELETE", "/api/users/{user_id}"): Row("/api/users/{owner_id}", mine(204), {"current_password": PASSWORD},
                                            restore=True),
    ("POST", "/api/data/upload"): Row("/api/data/upload?workspace_id={workspace_id}", changers(201), files=True),
    ("POST", "/api/data/sample"): Row("/api/data/sample?workspace_id={workspace_id}", changers(201)),
    ("GET", "/api/data/sources"): Row("/api/data/sources?workspace_id={workspace_id}", members(200)),
    ("GET", "/api/data/source/{source_id}"): Row("/api/data/source/{source_id}", members(200)),
    ("PATCH", "/api/data/source/{source_id}"): Row("/api/data/source/{source_id}", changers(200), {"name": "Tips"}),
    ("DELETE", "/api/data/source/{source_id}"): Row("/api/data/source/{source_id}", changers(204), restore=True),
    ("GET", "/api/data/source/{source_id}/preview"): Row("/api/data/source/{source_id}/preview", members(200)),
    ("GET", "/api/data/source/{source_id}/profile"): Row("/api/data/source/{source_id}/profile", members(200)),
    ("GET", "/api/data/source/{source_id}/semantics"): Row("/api/data/source/{source_id}/semantics", members(200)),
    ("PATCH", "/api/data/source/{source_id}/semantics"): Row(
        "/api/data/source/{source_id}/semantics", changers(200),
        lambda world, _: {"columns": [{"table": world.table, "column": "tip", "description": "What the table left"}]}),
    ("POST", "/api/data/connect/test"): Row("/api/data/connect/test", anyone_signed_in(400),
                                            {"kind": "oracle", "host": "db.example.com", "database": "x", "user": "x"}),
    ("POST", "/api/data/connect"): Row("/api/data/connect", (400, 400, 400, 403, 404, 401), {
        "kind": "oracle", "host": "db.example.com", "database": "x", "user": "x", "workspace_id": "{workspace_id}"}),
    ("GET", "/api/data/source/{source_id}/examples"): Row("/api/data/source/{source_id}/examples", members(200)),
    ("DELETE", "/api/data/source/{source_id}/examples/{example_id}"): Row(
        "/api/data/source/{source_id}/examples/{example_id}", changers(204), restore=True),
    ("POST", "/api/ai/query"): Row("/api/ai/query", members(200),
                                   {"source_id": "{source_id}", "question": "total tip by day"}),
    ("POST", "/api/ai/sql"): Row("/api/ai/sql", members(200), lambda world, _: {
        "source_id": world.ids["source_id"], "sql": f"SELECT COUNT(*) AS n FROM {world.table}"}),
    ("GET", "/api/queries"): Row("/api/queries?workspace_id={workspace_id}", members(200)),
    ("GET", "/api/queries/{query_id}"): Row("/api/queries/{query_id}", members(200)),
    ("DELETE", "/api/queries/{query_id}"): Row("/api/queries/{query_id}", changers(204), restore=True),
    ("POST", "/api/queries/{query_id}/rerun"): Row("/api/queries/{query_id}/rerun", members(200)),
    ("POST", "/api/queries/{query_id}/feedback"): Row("/api/queries/{query_id}/feedback", changers(200),
                                                      {"verdict": "up"}),
    ("POST", "/api/ai/chart"): Row("/api/ai/chart", members(200), {"query_id": "{query_id}"}),
    ("POST", "/api/ai/insight"): Row("/api/ai/insight", members(201), {"query_id": "{query_id}"}),
    ("GET", "/api/insights"): Row("/api/insights?workspace_id={workspace_id}", members(200)),
    ("PATCH", "/api/insights/{insight_id}"): Row("/api/insights/{insight_id}", changers(200), {"saved": True}),
    ("DELETE", "/api/insights/{insight_id}"): Row("/api/insights/{insight_id}", changers(204), restore=True),
    ("POST", "/api/insights/{insight_id}/email"): Row("/api/insights/{insight_id}/email", members(503)),
    ("POST", "/api/chat/send"): Row("/api/chat/send", changers(200), {
        "session_id": "{chat_id}", "source_id": "{source_id}", "message": "and by day?"}),
    ("GET", "/api/chat/sessions"): Row("/api/chat/sessions?workspace_id={workspace_id}", members(200)),
    ("GET", "/api/chat/history"): Row("/api/chat/history?session_id={chat_id}", members(200)),
    ("PATCH", "/api/chat/session/{session_id}"): Row("/api/chat/session/{chat_id}", changers(200), {"title": "Tips"}),
    ("DELETE", "/api/chat/session/{session_id}"): Row("/api/chat/session/{chat_id}", changers(204), restore=True),
    ("GET", "/api/plans"): Row("/api/plans", anyone_signed_in(200)),
    ("GET", "/api/usage"): Row("/api/usage", anyone_signed_in(200)),
    ("POST", "/api/usage/plan"): Row("/api/usage/plan", anyone_signed_in(200), {"plan": "pro"}),
    ("GET", "/api/tokens"): Row("/api/tokens", anyone_signed_in(200)),
    ("POST", "/api/tokens"): Row("/api/tokens", anyone_signed_in(201), {"name": "matrix"}),
    ("DELETE", "/api/tokens/{token_id}"): Row("/api/tokens/{token_id}", mine(204), restore=True),
    ("GET", "/api/settings/llm"): Row("/api/settings/llm", anyone_signed_in(200)),
    ("PUT", "/api/settings/llm"): Row("/api/settings/llm", anyone_signed_in(200), {"model": "small"}),
    ("DELETE", "/api/settings/llm"): Row("/api/settings/llm", anyone_signed_in(204)),
    ("POST", "/api/settings/llm/test"): Row("/api/settings/llm/test", anyone_signed_in(422)),  # no key saved
    ("GET", "/api/admin/metrics"): Row("/api/admin/metrics", NOT_SITE_ADMIN),
    ("GET", "/api/admin/users"): Row("/api/admin/users", NOT_SITE_ADMIN),
    ("PATCH", "/api/admin/users/{user_id}"): Row("/api/admin/users/{owner_id}", NOT_SITE_ADMIN, {"disabled": True}),
    ("PATCH", "/api/admin/users/{user_id}/plan"): Row("/api/admin/users/{owner_id}/plan", NOT_SITE_ADMIN,
                                                      {"plan": "free"}),
    ("GET", "/api/admin/costs"): Row("/api/admin/costs", NOT_SITE_ADMIN),
    ("GET", "/api/admin/plans"): Row("/api/admin/plans", NOT_SITE_ADMIN),
    ("POST", "/api/admin/plans"): Row("/api/admin/plans", NOT_SITE_ADMIN, PLAN),
    ("PATCH", "/api/admin/plans/{name}"): Row("/api/admin/plans/free", NOT_SITE_ADMIN, {"title": "Gratis"}),
    ("GET", "/api/admin/status"): Row("/api/admin/status", NOT_SITE_ADMIN),
    ("POST", "/api/schedules"): Row("/api/schedules", changers(201), SCHEDULE),
    ("GET", "/api/schedules"): Row("/api/schedules?workspace_id={workspace_id}", members(200)),
    ("GET", "/api/schedules/{schedule_id}"): Row("/api/schedules/{schedule_id}", members(200)),
    ("PATCH", "/api/schedules/{schedule_id}"): Row("/api/schedules/{schedule_id}", changers(200), {"name": "Weekly"}),
    ("DELETE", "/api/schedules/{schedule_id}"): Row("/api/schedules/{schedule_id}", changers(204), restore=True),
    ("POST", "/api/schedules/{schedule_id}/run"): Row("/api/schedules/{schedule_id}/run", changers(202), restore=True),
    ("GET", "/api/schedules/{schedule_id}/runs"): Row("/api/schedules/{schedule_id}/runs", members(200)),
    ("POST", "/api/queries/{query_id}/export/email"): Row("/api/queries/{query_id}/export/email", members(503),
                                                          {"format": "csv"}),
    ("GET", "/api/queries/{query_id}/export"): Row("/api/queries/{query_id}/export?format=csv", members(200)),
    ("GET", "/api/exports/{token}"): Row("/api/exports/not-a-signed-link", (404,) * 6),
    ("POST", "/api/queries/{query_id}/share"): Row("/api/queries/{query_id}/share", changers(201),
                                                   {"expires_in_days": 7}),
    ("GET", "/api/queries/{query_id}/shares"): Row("/api/queries/{query_id}/shares", members(200)),
    ("GET", "/api/shares"): Row("/api/shares", anyone_signed_in(200)),
    ("DELETE", "/api/shares/{token}"): Row("/api/shares/{share_token}", changers(204), restore=True),
    ("GET", "/api/public/{token}"): Row("/api/public/{share_token}", (200,) * 6),
    ("GET", "/api/pins"): Row("/api/pins?workspace_id={workspace_id}", members(200)),
    ("POST", "/api/pins"): Row("/api/pins", changers(201), {"query_id": "{query_id}"}),
    ("PATCH", "/api/pins/{pin_id}"): Row("/api/pins/{pin_id}", changers(200), {"position": 0, "width": 2}),
    ("DELETE", "/api/pins/{pin_id}"): Row("/api/pins/{pin_id}", changers(204), restore=True),
    ("POST", "/api/pins/{pin_id}/refresh"): Row("/api/pins/{pin_id}/refresh", members(200)),
    ("GET", "/api/workspaces"): Row("/api/workspaces", anyone_signed_in(200)),
    ("POST", "/api/workspaces"): Row("/api/workspaces", anyone_signed_in(201), {"name": "Another team"}),
    ("POST", "/api/workspaces/invitations/accept"): Row("/api/workspaces/invitations/accept", anyone_signed_in(404),
                                                        {"token": "x" * 43}),
    ("GET", "/api/workspaces/{workspace_id}"): Row("/api/workspaces/{workspace_id}", members(200)),
    ("PATCH", "/api/workspaces/{workspace_id}"): Row("/api/workspaces/{workspace_id}", admins(200),
                                                     {"name": "Renamed"}),
    ("DELETE", "/api/workspaces/{workspace_id}"): Row("/api/workspaces/{workspace_id}", admins(204), restore=True),
    ("POST", "/api/workspaces/{workspace_id}/members"): Row(
        "/api/workspaces/{workspace_id}/members", admins(201), {"email": "newcomer@example.com", "role": "viewer"}),
    ("PATCH", "/api/workspaces/{workspace_id}/members/{user_id}"): Row(
        "/api/workspaces/{workspace_id}/members/{viewer_id}", admins(200), {"role": "viewer"}),
    # the viewer removing themselves is leaving, which any member may do
    ("DELETE", "/api/workspaces/{workspace_id}/members/{user_id}"): Row(
        "/api/workspaces/{workspace_id}/members/{viewer_id}", (403, 204, 403, 204, 404, 401), restore=True),
    ("DELETE", "/api/workspaces/{workspace_id}/invitations/{invitation_id}"): Row(
        "/api/workspaces/{workspace_id}/invitations/{invitation_id}", admins(204), restore=True),
}


@pytest.fixture
def client(app_db: str) -> TestClient:
    from lumiere.api import create_api

    return TestClient(create_api(), raise_server_exceptions=False)


class World:
    """The callers (signed in through the API) and one workspace with one object of each kind."""

    table: str

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.emails: dict[str, str] = {}
        self.ids: dict[str, Any] = {}
        self.headers: dict[str, dict[str, str]] = {"anonymous": {}}
        self.table = ""
        self._register("site_admin")  # the installation's first account is a site admin: kept out of the matrix
        for persona in PERSONAS[1:]:
            self._register(persona)
        self.build()

    def _register(self, persona: str) -> None:
        email = f"{persona}{next(_emails)}@example.com"
        made = self.client.post("/api/auth/register", json={"email": email, "password": PASSWORD, "name": persona})
        assert made.status_code == 201, made.text
        self.emails[persona], self.ids[f"{persona}_id"] = email, made.json()["id"]
        self.sign_in(persona)
        self.call("POST", "/api/usage/plan", persona, {"plan": "pro"}, 200)

    def sign_in(self, persona: str) -> None:
        login = self.client.post("/api/auth/login", json={"email": self.emails[persona], "password": PASSWORD})
        assert login.status_code == 200, login.text
        self.headers[persona] = {"Authorization": f"Bearer {login.json()['access_token']}"}

    def call(self, method: str, path: str, persona: str, body: Any = None, expect: int | None = None) -> Any:
        response = self.client.request(method, path, json=body, headers=self.headers[persona])
        if expect is not None:
            assert response.status_code == expect, f"{method} {path} as {persona}: {response.text}"
        return response.json() if response.content and "json" in response.headers.get("content-type", "") else None

    def build(self) -> None:
        """A fresh workspace (admin made it; owner and editor edit, viewer views) and the owner's objects in it."""
        wid = self.call("POST", "/api/workspaces", "admin", {"name": "Team"}, 201)["id"]
        for persona, role in (("owner", "editor"), ("editor", "editor"), ("viewer", "viewer")):
            self.call("POST", f"/api/workspaces/{wid}/members", "admin", {"email": self.emails[persona], "role": role},
                      201)
        invited = self.call("POST", f"/api/workspaces/{wid}/members", "admin",
                            {"email": f"pending{next(_emails)}@example.com", "role": "viewer"}, 201)
        upload = self.client.post(f"/api/data/upload?workspace_id={wid}", headers=self.headers["owner"],
                                  files={"file": ("tips.csv", TIPS, "text/csv")})
        assert upload.status_code == 201, upload.text
        source_id, self.table = upload.json()["id"], upload.json()["table_name"]
        query_id = self.call("POST", "/api/ai/sql", "owner", {"source_id": source_id, "question": "tips by day",
                             "sql": f"SELECT day, SUM(tip) AS tips FROM {self.table} GROUP BY day"}, 200)["query_id"]
        self.call("POST", f"/api/queries/{query_id}/feedback", "owner", {"verdict": "up"}, 200)
        example_id = self.call("GET", f"/api/data/source/{source_id}/examples", "owner", expect=200)["items"][0]["id"]
        insight_id = self.call("POST", "/api/ai/insight", "owner", {"query_id": query_id}, 201)["id"]
        chat_id = self.call("POST", "/api/chat/send", "owner", {"source_id": source_id, "message": "total tip by day"},
                            200)["session_id"]
        share_token = self.call("POST", f"/api/queries/{query_id}/share", "owner", {}, 201)["token"]
        schedule = {**SCHEDULE, "query_id": query_id}
        schedule_id = self.call("POST", "/api/schedules", "owner", schedule, 201)["id"]
        pin_id = self.call("POST", "/api/pins", "owner", {"query_id": query_id}, 201)["id"]
        tokens = [item["id"] for item in self.call("GET", "/api/tokens", "owner", expect=200)["items"]]
        token_id = self.ids.get("token_id", 0)
        if token_id not in tokens:  # the first build, or the matrix revoked it
            token_id = self.call("POST", "/api/tokens", "owner", {"name": "owner's"}, 201)["id"]
        self.ids.update(workspace_id=wid, source_id=source_id, query_id=query_id, example_id=example_id,
                        insight_id=insight_id, chat_id=chat_id, schedule_id=schedule_id, token_id=token_id,
                        invitation_id=invited["invitation_id"], share_token=share_token, pin_id=pin_id)

    def fill(self, text: str) -> str:
        return text.format(**self.ids)

    def body_for(self, row: Row, persona: str) -> Any:
        body = row.body(self, persona) if callable(row.body) else row.body
        return _filled(body, self.ids)


def _filled(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
        return ids[value[1:-1]]
    if isinstance(value, dict):
        return {key: _filled(item, ids) for key, item in value.items()}
    return value


def _routes(client: TestClient) -> set[tuple[str, str]]:
    document = client.get("/api/openapi.json").json()
    return {(method.upper(), path) for path, operations in document["paths"].items() for method in operations}


def test_every_route_has_a_row(client: TestClient) -> None:
    routes = _routes(client)
    missing = sorted(routes - set(MATRIX))
    assert not missing, f"add these routes to the isolation matrix: {missing}"
    assert not sorted(set(MATRIX) - routes), "rows for routes that no longer exist"


def test_every_route_answers_every_caller_as_the_matrix_says(client: TestClient) -> None:
    world = World(client)
    failures: list[str] = []
    last = ("DELETE", "/api/users/{user_id}")  # deletes the owner's account: nothing can run after it
    for key in sorted(_routes(client), key=lambda route: route == last):
        row = MATRIX[key]
        method = key[0]
        for persona in PERSONAS:
            path = world.fill(row.path)
            if row.files:
                response = client.post(path, headers=world.headers[persona],
                                       files={"file": ("more.csv", TIPS, "text/csv")})
            else:
                response = client.request(method, path, json=world.body_for(row, persona),
                                          headers=world.headers[persona])
            if response.status_code != row.expected(persona):
                failures.append(f"{method} {path} as {persona}: {response.status_code}, expected "
                                f"{row.expected(persona)}: {response.text[:200]}")
            if response.status_code < 300 and row.restore and key != last:
                if key == ("POST", "/api/auth/logout"):
                    world.sign_in(persona)
                else:
                    world.build()
    assert not failures, "\n".join(failures)
