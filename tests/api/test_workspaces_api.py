"""Workspaces over REST: every route and status code, and what each role may do with a shared source."""

from __future__ import annotations

from collections.abc import Callable

import plotly.data
import pytest
from fastapi.testclient import TestClient

from lumiere.db import session_scope
from lumiere.models import Plan
from tests.helpers.api import upload


def h(user: dict) -> dict:
    return user["headers"]


@pytest.fixture
def team(client: TestClient, make_user: Callable[..., dict]) -> dict:
    """A workspace with an admin (its creator), an editor, a viewer, and an outsider."""
    admin, editor, viewer, outsider = (make_user(name=name) for name in ("Ada", "Ed", "Vi", "Out"))
    assert client.post("/api/usage/plan", json={"plan": "pro"}, headers=h(admin)).status_code == 200
    created = client.post("/api/workspaces", json={"name": "Sales team"}, headers=h(admin))
    assert created.status_code == 201, created.text
    workspace = created.json()
    for member, role in ((editor, "editor"), (viewer, "viewer")):
        added = client.post(f"/api/workspaces/{workspace['id']}/members", json={"email": member["email"], "role": role},
                            headers=h(admin))
        assert added.status_code == 201, added.text
        assert added.json()["user_id"] == member["id"] and added.json()["role"] == role
    return {"id": workspace["id"], "admin": admin, "editor": editor, "viewer": viewer, "outsider": outsider}


def test_create_list_get_rename_delete(client: TestClient, team: dict) -> None:
    wid, admin = team["id"], team["admin"]
    listed = client.get("/api/workspaces", headers=h(team["viewer"])).json()
    assert listed["total"] == 1 and listed["items"][0]["role"] == "viewer"
    one = client.get(f"/api/workspaces/{wid}", headers=h(admin)).json()
    assert one["role"] == "admin" and {m["role"] for m in one["members"]} == {"admin", "editor", "viewer"}
    assert set(one) >= {"id", "name", "role", "members", "created_at"}
    assert client.get(f"/api/workspaces/{wid}", headers=h(team["outsider"])).status_code == 404
    assert client.get("/api/workspaces", headers=h(team["outsider"])).json()["total"] == 0
    assert client.patch(f"/api/workspaces/{wid}", json={"name": "x"}, headers=h(team["editor"])).status_code == 403
    assert client.patch(f"/api/workspaces/{wid}", json={"name": " "}, headers=h(admin)).status_code == 422
    renamed = client.patch(f"/api/workspaces/{wid}", json={"name": "Sales"}, headers=h(admin))
    assert renamed.status_code == 200 and renamed.json()["name"] == "Sales"
    assert client.delete(f"/api/workspaces/{wid}", headers=h(team["viewer"])).status_code == 403
    assert client.delete(f"/api/workspaces/{wid}", headers=h(team["outsider"])).status_code == 404
    assert client.delete(f"/api/workspaces/{wid}", headers=h(admin)).status_code == 204
    assert client.get(f"/api/workspaces/{wid}", headers=h(admin)).status_code == 404
    assert client.get("/api/workspaces").status_code == 401


def test_members_roles_and_the_last_admin(client: TestClient, team: dict) -> None:
    wid, admin, editor, viewer = team["id"], team["admin"], team["editor"], team["viewer"]
    members = f"/api/workspaces/{wid}/members"
    assert client.post(members, json={"email": viewer["email"], "role": "editor"},
                       headers=h(admin)).status_code == 409
    assert client.post(members, json={"email": "x@example.com", "role": "boss"}, headers=h(admin)).status_code == 422
    assert client.post(members, json={"email": "x@example.com", "role": "viewer"},
                       headers=h(editor)).status_code == 403
    assert client.post(members, json={"email": "x@example.com", "role": "viewer"},
                       headers=h(team["outsider"])).status_code == 404
    promoted = client.patch(f"{members}/{viewer['id']}", json={"role": "editor"}, headers=h(admin))
    assert promoted.status_code == 200 and promoted.json()["role"] == "editor"
    assert client.patch(f"{members}/{viewer['id']}", json={"role": "admin"}, headers=h(editor)).status_code == 403
    assert client.patch(f"{members}/{admin['id']}", json={"role": "viewer"}, headers=h(admin)).status_code == 409
    assert client.delete(f"{members}/{admin['id']}", headers=h(admin)).status_code == 409
    assert client.patch(f"{members}/{team['outsider']['id']}", json={"role": "viewer"},
                        headers=h(admin)).status_code == 404
    assert client.delete(f"{members}/{viewer['id']}", headers=h(editor)).status_code == 403
    assert client.delete(f"{members}/{editor['id']}", headers=h(editor)).status_code == 204  # leaves
    assert client.delete(f"{members}/{viewer['id']}", headers=h(admin)).status_code == 204
    assert client.get(f"/api/workspaces/{wid}", headers=h(viewer)).status_code == 404
    # with a second admin, the first may step down
    client.post(members, json={"email": editor["email"], "role": "admin"}, headers=h(admin))
    assert client.patch(f"{members}/{admin['id']}", json={"role": "viewer"}, headers=h(admin)).status_code == 200


def test_an_invitation_waits_for_registration(client: TestClient, team: dict, make_user: Callable[..., dict]) -> None:
    wid, admin = team["id"], team["admin"]
    invited = client.post(f"/api/workspaces/{wid}/members", json={"email": "New.Person@Example.com", "role": "editor"},
                          headers=h(admin))
    assert invited.status_code == 201, invited.text
    assert invited.json()["pending"] is True and invited.json()["user_id"] is None
    shown = client.get(f"/api/workspaces/{wid}", headers=h(admin)).json()
    assert [item["email"] for item in shown["invitations"]] == ["new.person@example.com"]
    newcomer = make_user(email="new.person@example.com")
    mine = client.get("/api/workspaces", headers=h(newcomer)).json()["items"]
    assert [(item["id"], item["role"]) for item in mine] == [(wid, "editor")]
    assert client.get(f"/api/workspaces/{wid}", headers=h(admin)).json()["invitations"] == []


def test_withdrawn_invitation_and_unknown_link(client: TestClient, team: dict) -> None:
    wid, admin = team["id"], team["admin"]
    invited = client.post(f"/api/workspaces/{wid}/members", json={"email": "later@example.com", "role": "viewer"},
                          headers=h(admin)).json()
    assert client.delete(f"/api/workspaces/{wid}/invitations/{invited['invitation_id']}",
                         headers=h(admin)).status_code == 204
    assert client.post("/api/workspaces/invitations/accept", json={"token": "x" * 43},
                       headers=h(team["outsider"])).status_code == 404


def test_the_owners_plan_limits_members(client: TestClient, make_user: Callable[..., dict]) -> None:
    owner = make_user()
    with session_scope() as session:
        plan = session.get(Plan, owner["plan"])
        assert plan is not None
        plan.workspace_members = 2
        session.add(plan)
    wid = client.post("/api/workspaces", json={"name": "Tiny"}, headers=h(owner)).json()["id"]
    first = client.post(f"/api/workspaces/{wid}/members", json={"email": make_user()["email"]}, headers=h(owner))
    assert first.status_code == 201
    over = client.post(f"/api/workspaces/{wid}/members", json={"email": "z@example.com"}, headers=h(owner))
    assert over.status_code == 402
    assert {"limit": 2, "used": 2, "plan": owner["plan"]}.items() <= over.json().items()


def test_sharing_a_source_and_what_each_role_may_do(client: TestClient, team: dict) -> None:
    wid, admin, editor, viewer, outsider = (team[key] for key in ("id", "admin", "editor", "viewer", "outsider"))
    source = upload(client, admin, plotly.data.tips(), "tips.csv")
    assert client.get(f"/api/data/source/{source['id']}", headers=h(viewer)).status_code == 404
    moved = client.patch(f"/api/data/source/{source['id']}", json={"workspace_id": wid}, headers=h(admin))
    assert moved.status_code == 200 and moved.json()["workspace_id"] == wid
    assert client.patch(f"/api/data/source/{source['id']}", json={"workspace_id": 10**9},
                        headers=h(admin)).status_code == 404
    listed = client.get(f"/api/data/sources?workspace_id={wid}", headers=h(viewer)).json()
    assert [item["id"] for item in listed["items"]] == [source["id"]] and listed["items"][0]["created_by"] == "Ada"
    assert client.get("/api/data/sources", headers=h(admin)).json()["total"] == 0  # not personal any more
    assert client.get(f"/api/data/sources?workspace_id={wid}", headers=h(outsider)).status_code == 404
    # a viewer asks (the query is theirs, in the workspace's history) but cannot change or delete the source
    asked = client.post("/api/ai/sql", json={"source_id": source["id"], "sql": "SELECT COUNT(*) AS n FROM tips"},
                        headers=h(viewer))
    assert asked.status_code == 200, asked.text
    history = client.get(f"/api/queries?workspace_id={wid}", headers=h(editor)).json()
    assert [(item["id"], item["created_by"]) for item in history["items"]] == [(asked.json()["query_id"], "Vi")]
    assert client.get(f"/api/queries/{asked.json()['query_id']}", headers=h(outsider)).status_code == 404
    refused = client.delete(f"/api/data/source/{source['id']}", headers=h(viewer))
    assert refused.status_code == 403 and "viewer of Sales team cannot delete its sources" in refused.json()["detail"]
    assert client.patch(f"/api/data/source/{source['id']}", json={"name": "x"}, headers=h(viewer)).status_code == 403
    assert client.delete(f"/api/data/source/{source['id']}", headers=h(outsider)).status_code == 404
    upload_to = client.post(f"/api/data/upload?workspace_id={wid}", headers=h(viewer),
                            files={"file": ("t.csv", b"a,b\n1,2\n", "text/csv")})
    assert upload_to.status_code == 403
    added = client.post(f"/api/data/upload?workspace_id={wid}", headers=h(editor),
                        files={"file": ("t.csv", b"a,b\n1,2\n", "text/csv")})
    assert added.status_code == 201 and added.json()["workspace_id"] == wid
    # only the one who added it takes it back to a personal space
    assert client.patch(f"/api/data/source/{source['id']}", json={"workspace_id": None},
                        headers=h(editor)).status_code == 403
    renamed = client.patch(f"/api/data/source/{source['id']}", json={"name": "Tips"}, headers=h(editor))
    assert renamed.status_code == 200 and renamed.json()["name"] == "Tips"
    assert client.delete(f"/api/data/source/{added.json()['id']}", headers=h(editor)).status_code == 204
    # deleting the workspace gives things back to whoever made them
    assert client.delete(f"/api/workspaces/{wid}", headers=h(admin)).status_code == 204
    assert [item["id"] for item in client.get("/api/data/sources", headers=h(admin)).json()["items"]] == [
        source["id"]
    ]
    assert client.get(f"/api/queries/{asked.json()['query_id']}", headers=h(viewer)).status_code == 200
