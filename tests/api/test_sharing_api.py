"""Sharing routes: POST /api/queries/{id}/share, GET /api/queries/{id}/shares, GET /api/shares,
DELETE /api/shares/{token} and the public GET /api/public/{token}, with every status code."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import update
from sqlmodel import col

from lumiere.core.enums import QueryStatus
from lumiere.db import session_scope
from lumiere.models import Plan, Query
from lumiere.services import rate_limits
from tests.api.test_openapi_contract import _mismatches, _success_schema
from tests.helpers.api import make_query

SQL = 'SELECT "day", SUM(tip) AS tips FROM tips GROUP BY "day" ORDER BY "day"'


@pytest.fixture(autouse=True)
def _fresh_limits() -> Iterator[None]:
    rate_limits.reset()
    yield
    rate_limits.reset()


@pytest.fixture
def owner_and_query(client, make_user) -> tuple[dict, int]:
    user = make_user()
    return user, make_query(client, user, sql=SQL, question="Tips by day")


def _share(client, user: dict, query_id: int, body: dict | None = None):
    return client.post(f"/api/queries/{query_id}/share", json=body, headers=user["headers"])


def test_create_open_list_and_revoke_a_link(client, owner_and_query) -> None:
    user, query_id = owner_and_query
    created = _share(client, user, query_id, {"expires_in_days": 7})
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == {"token", "url", "expires_at"}
    assert body["url"].endswith("/s/" + body["token"]) and len(body["token"]) >= 43
    assert body["expires_at"].endswith("Z")

    opened = client.get(f"/api/public/{body['token']}")  # no Authorization header
    assert opened.status_code == 200, opened.text
    shared = opened.json()
    assert set(shared) == {"question", "columns", "rows", "row_count", "chart", "insight", "source_name", "ran_at"}
    assert shared["question"] == "Tips by day" and shared["source_name"] == "tips.csv"
    assert [column["name"] for column in shared["columns"]] == ["day", "tips"]
    assert shared["row_count"] == len(shared["rows"]) == 4
    assert shared["chart"]["figure"]["data"] and shared["insight"]

    listed = client.get(f"/api/queries/{query_id}/shares", headers=user["headers"]).json()
    assert listed["total"] == 1
    item = listed["items"][0]
    assert item["view_count"] == 1 and item["last_viewed_at"] and not item["expired"]
    assert body["token"].startswith(item["prefix"]) and "token" not in item
    assert client.get("/api/shares", headers=user["headers"]).json()["total"] == 1

    assert client.delete(f"/api/shares/{body['token']}", headers=user["headers"]).status_code == 204
    gone = client.get(f"/api/public/{body['token']}")
    assert gone.status_code == 404 and gone.json()["detail"] == "This link has expired or was revoked."
    assert client.get("/api/shares", headers=user["headers"]).json() == {"items": [], "total": 0}
    assert client.delete(f"/api/shares/{body['token']}", headers=user["headers"]).status_code == 404


def test_no_body_makes_a_link_that_never_expires(client, owner_and_query) -> None:
    user, query_id = owner_and_query
    created = client.post(f"/api/queries/{query_id}/share", headers=user["headers"])
    assert created.status_code == 201, created.text
    assert created.json()["expires_at"] is None


@pytest.mark.parametrize("days", [0, 366, -1, 2.5, "7", True, [7]])
def test_a_bad_expiry_is_a_422_naming_the_field(client, owner_and_query, days) -> None:
    user, query_id = owner_and_query
    response = _share(client, user, query_id, {"expires_in_days": days})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "expires_in_days"


def test_a_failed_query_cannot_be_shared(client, owner_and_query) -> None:
    user, query_id = owner_and_query
    with session_scope() as session:
        session.execute(update(Query).where(col(Query.id) == query_id).values(status=QueryStatus.ERROR))
    response = _share(client, user, query_id)
    assert response.status_code == 422 and response.json()["field"] == "query_id"


def test_signed_out_callers_get_401_and_other_users_404(client, make_user, owner_and_query) -> None:
    user, query_id = owner_and_query
    token = _share(client, user, query_id).json()["token"]
    assert client.post(f"/api/queries/{query_id}/share").status_code == 401
    assert client.get(f"/api/queries/{query_id}/shares").status_code == 401
    assert client.get("/api/shares").status_code == 401
    assert client.delete(f"/api/shares/{token}").status_code == 401
    other = make_user()
    assert _share(client, other, query_id).status_code == 404
    assert client.get(f"/api/queries/{query_id}/shares", headers=other["headers"]).status_code == 404
    assert client.delete(f"/api/shares/{token}", headers=other["headers"]).status_code == 404
    assert client.get("/api/shares", headers=other["headers"]).json()["total"] == 0
    assert client.get(f"/api/public/{token}").status_code == 200  # the other user's revoke did nothing
    assert _share(client, user, 10**12).status_code == 404


@pytest.mark.parametrize("token", ["x", "A" * 43, "A" * 1500])
def test_an_unknown_token_is_a_404(client, token) -> None:
    response = client.get(f"/api/public/{token}")
    assert response.status_code == 404 and response.json()["detail"] == "This link has expired or was revoked."


def test_the_share_links_limit_is_a_402_and_revoking_makes_room(client, owner_and_query) -> None:
    user, query_id = owner_and_query
    with session_scope() as session:
        session.execute(update(Plan).where(col(Plan.name) == "free").values(share_links=2))
    tokens = [_share(client, user, query_id).json()["token"] for _ in range(2)]
    over = _share(client, user, query_id)
    assert over.status_code == 402
    assert (over.json()["limit"], over.json()["used"], over.json()["plan"]) == (2, 2, "free")
    assert "share links" in over.json()["detail"]
    assert client.get("/api/usage", headers=user["headers"]).json()["used"]["share_links"] == 2
    assert client.delete(f"/api/shares/{tokens[0]}", headers=user["headers"]).status_code == 204
    assert _share(client, user, query_id).status_code == 201


def test_public_links_are_rate_limited_per_address_with_retry_after(client, owner_and_query, monkeypatch) -> None:
    user, query_id = owner_and_query
    token = _share(client, user, query_id).json()["token"]
    monkeypatch.setattr(rate_limits, "PUBLIC_SHARE", rate_limits.RateLimit("public-share-test", 3))
    assert [client.get(f"/api/public/{token}").status_code for _ in range(3)] == [200, 200, 200]
    limited = client.get(f"/api/public/{token}")
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert "wait" in limited.json()["detail"]
    assert client.get("/api/public/unknown-token").status_code == 429  # counted per address, not per link
    views = client.get("/api/shares", headers=user["headers"]).json()["items"][0]["view_count"]
    assert views == 3


def test_sharing_responses_match_the_published_schemas(client, owner_and_query) -> None:
    user, query_id = owner_and_query
    document = client.get("/api/openapi.json").json()
    created = _share(client, user, query_id, {"expires_in_days": 1})
    token = created.json()["token"]
    calls = [
        ("post", "/api/queries/{query_id}/share", created),
        ("get", "/api/queries/{query_id}/shares", client.get(f"/api/queries/{query_id}/shares",
                                                             headers=user["headers"])),
        ("get", "/api/shares", client.get("/api/shares", headers=user["headers"])),
        ("get", "/api/public/{token}", client.get(f"/api/public/{token}")),
    ]
    for method, path, response in calls:
        assert response.status_code in (200, 201), (path, response.text)
        assert _mismatches(response.json(), _success_schema(document, method, path), document) == [], path
