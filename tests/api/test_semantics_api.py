"""GET/PATCH /api/data/source/{id}/semantics over HTTP on both app databases: the pre-filled layer,
edits and resets, 4xx answers that say what to fix and save nothing, and isolation between users."""

from __future__ import annotations

import plotly.data
import pytest

TIPS = plotly.data.tips().to_csv(index=False).encode()


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def tips_id(client, owner) -> int:
    response = client.post("/api/data/upload", files={"file": ("tips.csv", TIPS, "text/csv")},
                           headers=owner["headers"])
    assert response.status_code == 201, response.text
    return response.json()["id"]


def url(source_id: int) -> str:
    return f"/api/data/source/{source_id}/semantics"


def columns(body: dict) -> dict[str, dict]:
    return {column["column"]: column for column in body["columns"]}


def test_the_layer_is_prefilled_and_lists_every_column(client, owner, tips_id):
    response = client.get(url(tips_id), headers=owner["headers"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source_id"] == tips_id
    assert [c["column"] for c in body["columns"]] == list(plotly.data.tips().columns)
    day = columns(body)["day"]
    assert day == {"table": "tips", "column": "day", "type": "VARCHAR", "description": "Day", "synonyms": [],
                   "unit": "", "edited": False,
                   "values": [{"stored": "Thur", "words": ["Thursday"]}, {"stored": "Fri", "words": ["Friday"]},
                              {"stored": "Sat", "words": ["Saturday"]}, {"stored": "Sun", "words": ["Sunday"]}]}


def test_patch_saves_returns_and_resets(client, owner, tips_id):
    patch = {"columns": [{"table": "tips", "column": "total_bill", "description": "Bill in dollars",
                          "synonyms": ["check", "CHECK"], "unit": "$",
                          "values": []},
                         {"table": "tips", "column": "sex", "values": [{"stored": "Female", "words": ["women"]}]}]}
    response = client.patch(url(tips_id), json=patch, headers=owner["headers"])
    assert response.status_code == 200, response.text
    bill = columns(response.json())["total_bill"]
    assert (bill["description"], bill["synonyms"], bill["unit"], bill["edited"]) == (
        "Bill in dollars", ["check"], "$", True)
    assert columns(client.get(url(tips_id), headers=owner["headers"]).json())["sex"]["values"] == [
        {"stored": "Female", "words": ["women"]}]
    reset = client.patch(url(tips_id), json={"columns": [{"table": "tips", "column": "total_bill", "reset": True}]},
                         headers=owner["headers"])
    assert reset.status_code == 200
    after = columns(reset.json())
    assert after["total_bill"]["edited"] is False and after["total_bill"]["unit"] == ""
    assert after["total_bill"]["description"] == "Total bill" and after["sex"]["edited"] is True


@pytest.mark.parametrize(("body", "fragment"), [
    ({"columns": [{"table": "tips", "column": "nope", "unit": "$"}]}, "no column tips.nope"),
    ({"columns": [{"table": "tips", "column": "tip", "unit": "$", "color": "red"}]}, "color"),
    ({"columns": [{"table": "tips", "column": "tip", "synonyms": "gratuity"}]}, "synonyms"),
    ({"columns": [{"table": "tips", "column": "tip", "unit": 5}]}, "unit"),
    ({"columns": [{"table": "tips", "column": "tip", "description": "d" * 501}]}, "limit is 500"),
    ({"columns": [{"table": "tips", "column": "tip", "values": [{"stored": "a", "words": ["b"], "x": 1}]}]}, "x"),
    ({"columns": [{"table": "tips", "column": "tip", "description": "bad\u0000text"}]}, "control characters"),
    ({"columns": [{"table": "tips", "column": "tip", "reset": "yes"}]}, "reset"),
    ({"columns": "tip"}, "columns"),
    ({}, "columns is required"),
    ({"columns": [], "extra": 1}, "extra"),
])
def test_bad_input_is_422_with_a_reason_and_saves_nothing(client, owner, tips_id, body, fragment):
    body = {**body}
    if isinstance(body.get("columns"), list):  # a valid change first: it must not be saved either
        body["columns"] = [{"table": "tips", "column": "day", "description": "Weekday"}, *body["columns"]]
    response = client.patch(url(tips_id), json=body, headers=owner["headers"])
    assert response.status_code == 422, response.text
    assert fragment in response.json()["detail"]
    assert not any(c["edited"] for c in client.get(url(tips_id), headers=owner["headers"]).json()["columns"])


def test_another_users_source_is_404_and_no_token_is_401(client, owner, make_user, tips_id):
    stranger = make_user()
    patch = {"columns": [{"table": "tips", "column": "tip", "unit": "$"}]}
    assert client.get(url(tips_id), headers=stranger["headers"]).status_code == 404
    refused = client.patch(url(tips_id), json=patch, headers=stranger["headers"])
    assert refused.status_code == 404 and refused.json()["detail"] == f"No data source with id {tips_id}."
    assert client.get(url(tips_id)).status_code == 401
    assert client.patch(url(tips_id), json=patch).status_code == 401
    assert client.get(url(999_999), headers=owner["headers"]).status_code == 404
    assert client.get("/api/data/source/abc/semantics", headers=owner["headers"]).status_code == 422
    assert columns(client.get(url(tips_id), headers=owner["headers"]).json())["tip"]["edited"] is False
