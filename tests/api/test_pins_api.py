"""/api/pins: pin an answer, list the dashboard as {items,total}, arrange, refresh from the data, unpin."""

from __future__ import annotations

from tests.helpers.api import make_query

TIPS_BY_DAY = 'SELECT "day", SUM(tip) AS tips FROM tips GROUP BY "day"'


def test_pin_list_arrange_refresh_and_unpin(client, make_user) -> None:
    user = make_user()
    headers = user["headers"]
    by_day = make_query(client, user, TIPS_BY_DAY, "Tips by day")
    created = client.post("/api/pins", json={"query_id": by_day}, headers=headers)
    assert created.status_code == 201, created.text
    pin = created.json()
    assert (pin["query_id"], pin["question"], pin["width"], pin["kind"]) == (by_day, "Tips by day", 1, "pending")

    listed = client.get("/api/pins", headers=headers).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == pin["id"]

    moved = client.patch(f"/api/pins/{pin['id']}", json={"width": 3, "position": 5}, headers=headers)
    assert moved.status_code == 200 and (moved.json()["width"], moved.json()["position"]) == (3, 0)
    drawn = client.post(f"/api/pins/{pin['id']}/refresh", headers=headers).json()
    assert drawn["kind"] == "chart" and drawn["figure"]["data"]

    assert client.delete(f"/api/pins/{pin['id']}", headers=headers).status_code == 204
    assert client.get("/api/pins", headers=headers).json() == {"items": [], "total": 0}


def test_bad_input_says_what_to_fix_and_others_get_404(client, make_user) -> None:
    user, other = make_user(), make_user()
    query_id = make_query(client, user, TIPS_BY_DAY, "Tips by day")
    pin = client.post("/api/pins", json={"query_id": query_id}, headers=user["headers"]).json()
    for body in ({"width": 0}, {"width": 4}, {"position": -1}, {"width": "wide"}):
        response = client.patch(f"/api/pins/{pin['id']}", json=body, headers=user["headers"])
        assert response.status_code == 422, body
    assert client.post("/api/pins", json={}, headers=user["headers"]).status_code == 422
    assert client.post("/api/pins", json={"query_id": query_id}, headers=other["headers"]).status_code == 404
    assert client.post(f"/api/pins/{pin['id']}/refresh", headers=other["headers"]).status_code == 404
    assert client.delete(f"/api/pins/{pin['id']}", headers=other["headers"]).status_code == 404
