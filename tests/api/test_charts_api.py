"""POST /api/ai/chart: the chart of a query, overrides validated and saved, other users' queries hidden."""

from __future__ import annotations

from lumiere.db import session_scope
from lumiere.models import Query, User
from lumiere.services.ask import rerun_query
from tests.helpers.api import make_query
from tests.helpers.charts import assert_inert
from tests.helpers.rows import present, stored


def saved_chart(query_id: int) -> dict | None:
    with session_scope() as session:
        return stored(session, Query, query_id).chart_json


def test_chart_of_a_query(client, make_user) -> None:
    user = make_user()
    query_id = make_query(client, user)
    response = client.post("/api/ai/chart", json={"query_id": query_id}, headers=user["headers"])
    assert response.status_code == 200, response.text
    chart = response.json()
    assert set(chart) >= {"type", "x", "y", "color", "title", "figure", "notes"}
    assert (chart["type"], chart["x"], chart["y"], chart["color"]) == ("bar", "day", "tips", "time")
    assert chart["title"] == "Tips by day"
    assert {trace["name"] for trace in chart["figure"]["data"]} == {"Dinner", "Lunch"}
    assert_inert(chart["figure"])


def test_override_is_saved_and_kept_on_rerun(client, make_user) -> None:
    user = make_user()
    query_id = make_query(client, user)
    body = {"query_id": query_id, "type": "line", "x": "day", "y": "n", "color": "time"}
    response = client.post("/api/ai/chart", json=body, headers=user["headers"])
    assert response.status_code == 200, response.text
    assert (response.json()["type"], response.json()["y"]) == ("line", "n")
    assert saved_chart(query_id) == {"type": "line", "x": "day", "y": "n", "color": "time", "title": "Tips by day"}

    again = client.post("/api/ai/chart", json={"query_id": query_id}, headers=user["headers"]).json()
    assert (again["type"], again["x"], again["y"], again["color"]) == ("line", "day", "n", "time")
    with session_scope() as session:
        rerun = rerun_query(session, stored(session, User, user["id"]), query_id)
        chart = present(rerun.chart)
        assert (chart["type"], chart["y"]) == ("line", "n")


def test_bad_overrides_are_422_naming_what_is_valid(client, make_user) -> None:
    user = make_user()
    query_id = make_query(client, user)
    before = saved_chart(query_id)
    cases = [
        ({"type": "bar", "x": "weekday", "y": "n"}, ["'weekday'", "day, time, tips, n"]),
        ({"type": "bar", "x": "day", "y": "n", "color": "DROP TABLE"}, ["'DROP TABLE'", "day, time, tips, n"]),
        ({"type": "radar", "x": "day", "y": "n"}, ["'radar'", "bar, line, area, pie, scatter, histogram, kpi, table"]),
        ({"type": "bar", "x": "day", "y": "time"}, ["numeric", "tips, n"]),
    ]
    for override, words in cases:
        response = client.post("/api/ai/chart", json={"query_id": query_id, **override}, headers=user["headers"])
        assert response.status_code == 422, (override, response.text)
        detail = response.json()["detail"]
        assert all(word in detail for word in words), (override, detail)
    assert saved_chart(query_id) == before


def test_malformed_requests_are_4xx(client, make_user) -> None:
    user = make_user()
    query_id = make_query(client, user)
    for body in (
        {},
        {"query_id": "abc"},
        {"query_id": 0},
        {"query_id": query_id, "theme": "neon"},
        {"query_id": query_id, "x": ["day"]},
        {"query_id": query_id, "type": "x" * 100},
    ):
        response = client.post("/api/ai/chart", json=body, headers=user["headers"])
        assert response.status_code == 422, (body, response.text)
        assert isinstance(response.json()["detail"], str)
    response = client.post(
        "/api/ai/chart", content=b"{not json", headers={**user["headers"], "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert client.post("/api/ai/chart", json={"query_id": query_id}).status_code == 401


def test_another_users_or_a_missing_query_is_404(client, make_user) -> None:
    owner, stranger = make_user(), make_user()
    query_id = make_query(client, owner)
    details = []
    for user, target in ((stranger, query_id), (stranger, query_id + 1000)):
        response = client.post("/api/ai/chart", json={"query_id": target, "type": "table"}, headers=user["headers"])
        assert response.status_code == 404
        details.append(response.json()["detail"].replace(str(target), "N"))
    assert details[0] == details[1]  # someone else's query reads exactly like one that does not exist
    assert present(saved_chart(query_id))["type"] == "bar"


def test_dark_theme(client, make_user) -> None:
    user = make_user()
    query_id = make_query(client, user)
    light = client.post("/api/ai/chart", json={"query_id": query_id}, headers=user["headers"]).json()
    dark = client.post("/api/ai/chart", json={"query_id": query_id, "theme": "dark"}, headers=user["headers"]).json()
    assert light["figure"]["data"] == dark["figure"]["data"]
    assert light["figure"]["layout"]["font"]["color"] != dark["figure"]["layout"]["font"]["color"]


def test_a_deleted_source_is_a_clear_404(client, make_user) -> None:
    user = make_user()
    query_id = make_query(client, user)
    with session_scope() as session:
        source_id = stored(session, Query, query_id).source_id
    assert client.delete(f"/api/data/source/{source_id}", headers=user["headers"]).status_code == 204
    response = client.post("/api/ai/chart", json={"query_id": query_id}, headers=user["headers"])
    assert response.status_code == 404
    assert "deleted" in response.json()["detail"]
