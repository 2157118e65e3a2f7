"""/api/ai/query, /api/ai/sql and /api/queries with the built-in engine on the sample dataset."""

from __future__ import annotations

import plotly.data
import pytest

RESULT_FIELDS = {
    "query_id",
    "question",
    "sql",
    "engine",
    "columns",
    "rows",
    "row_count",
    "truncated",
    "duration_ms",
    "chart",
}
QUERY_FIELDS = {
    "id",
    "question",
    "sql",
    "status",
    "error",
    "row_count",
    "duration_ms",
    "source_id",
    "engine",
    "created_at",
}


@pytest.fixture
def sample(client, make_user):
    user = make_user()
    created = client.post("/api/data/sample", headers=user["headers"])
    assert created.status_code == 201, created.text
    return user, created.json()


def _ask(client, user, source, question):
    return client.post("/api/ai/query", json={"source_id": source["id"], "question": question}, headers=user["headers"])


def test_a_question_gets_sql_rows_and_a_chart(client, sample):
    user, source = sample
    response = _ask(client, user, source, "average life expectancy by continent in 2007")
    assert response.status_code == 200, response.text
    result = response.json()
    assert set(result) >= RESULT_FIELDS
    assert result["engine"] == "builtin" and "SELECT" in result["sql"].upper()
    gapminder = plotly.data.gapminder()
    expected = gapminder[gapminder.year == 2007].groupby("continent").lifeExp.mean()
    names = [column["name"] for column in result["columns"]]
    group, value = names.index("continent"), 1 - names.index("continent")
    rows = {row[group]: row[value] for row in result["rows"]}
    assert set(rows) == set(expected.index)
    for continent, value in expected.items():
        assert rows[continent] == pytest.approx(value, rel=1e-6)
    assert result["chart"]["type"] == "bar" and result["chart"]["figure"]["data"]

    history = client.get("/api/queries", headers=user["headers"]).json()
    assert history["total"] == 1
    entry = history["items"][0]
    assert set(entry) >= QUERY_FIELDS and entry["status"] == "ok" and entry["id"] == result["query_id"]


def test_an_unplaceable_question_is_422_with_suggestions_and_is_recorded(client, sample):
    user, source = sample
    response = _ask(client, user, source, "what is the flurbination quotient of zorbles")
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] and body["suggestions"] and all(isinstance(s, str) for s in body["suggestions"])
    entry = client.get("/api/queries", headers=user["headers"]).json()["items"][0]
    assert entry["status"] == "refused" and entry["error"]  # nothing ran: apart from failures


def test_edited_sql_runs_through_the_same_guard(client, sample):
    user, source = sample
    table = source["tables"][0]["name"]
    good = client.post(
        "/api/ai/sql",
        json={
            "source_id": source["id"],
            "sql": f'SELECT country, "pop" FROM {table} WHERE year = 2007 ORDER BY "pop" DESC LIMIT 3',
        },
        headers=user["headers"],
    )
    assert good.status_code == 200, good.text
    assert [row[0] for row in good.json()["rows"]] == ["China", "India", "United States"]

    for attack in (f"DELETE FROM {table}", "SELECT * FROM read_csv('/etc/passwd')", f"COPY {table} TO '/tmp/x.csv'",
                   f"SELECT 1; DROP TABLE {table}"):
        refused = client.post("/api/ai/sql", json={"source_id": source["id"], "sql": attack}, headers=user["headers"])
        assert refused.status_code == 400, attack
        assert refused.json()["detail"]
    statuses = [item["status"] for item in client.get("/api/queries", headers=user["headers"]).json()["items"]]
    assert statuses.count("refused") == 4 and statuses.count("ok") == 1

    broken = client.post(
        "/api/ai/sql",
        json={"source_id": source["id"], "sql": f"SELECT no_such_column FROM {table}"},
        headers=user["headers"],
    )
    assert broken.status_code == 400 and "no_such_column" in broken.json()["detail"]
    assert "/" not in broken.json()["detail"].replace("/api", "")  # no server paths


def test_truncation_reports_the_full_row_count(client, sample, monkeypatch):
    from lumiere.config import reset_settings

    monkeypatch.setenv("LUMIERE_MAX_RESULT_ROWS", "100")
    reset_settings()
    user, source = sample
    table = source["tables"][0]["name"]
    response = client.post(
        "/api/ai/sql", json={"source_id": source["id"], "sql": f"SELECT * FROM {table}"}, headers=user["headers"]
    )
    body = response.json()
    assert response.status_code == 200
    assert body["truncated"] is True and len(body["rows"]) == 100 and body["row_count"] == len(plotly.data.gapminder())


def test_a_runaway_query_is_interrupted_with_408(client, sample, monkeypatch):
    from lumiere.config import reset_settings

    monkeypatch.setenv("LUMIERE_QUERY_TIMEOUT_S", "0.5")
    reset_settings()
    user, source = sample
    table = source["tables"][0]["name"]
    slow = f"SELECT count(*) FROM {table} a, {table} b, {table} c WHERE a.pop + b.pop > c.pop"
    response = client.post("/api/ai/sql", json={"source_id": source["id"], "sql": slow}, headers=user["headers"])
    assert response.status_code == 408, response.text
    assert client.get("/api/queries", headers=user["headers"]).json()["items"][0]["status"] == "error"


def test_sql_the_user_wrote_is_recorded_as_theirs_and_stays_theirs_on_rerun(client, sample):
    user, source = sample
    table = source["tables"][0]["name"]
    ran = client.post("/api/ai/sql", json={"source_id": source["id"], "sql": f"SELECT COUNT(*) FROM {table}"},
                      headers=user["headers"]).json()
    assert (ran["engine"], ran["origin"]) == ("user", "sql")
    refused = client.post("/api/ai/sql", json={"source_id": source["id"], "sql": f"DELETE FROM {table}"},
                          headers=user["headers"])
    assert refused.status_code == 400
    rerun = client.post(f"/api/queries/{ran['query_id']}/rerun", headers=user["headers"]).json()
    assert (rerun["engine"], rerun["origin"]) == ("user", "rerun")
    history = client.get("/api/queries", headers=user["headers"]).json()["items"]
    assert [(item["engine"], item["origin"], item["status"]) for item in history] == [
        ("user", "rerun", "ok"), ("user", "sql", "refused"), ("user", "sql", "ok"),
    ]


def test_history_search_rerun_delete_and_a_deleted_source(client, sample):
    user, source = sample
    first = _ask(client, user, source, "how many countries are there").json()
    _ask(client, user, source, "total population by continent in 2007")
    found = client.get("/api/queries", params={"search": "COUNTRIES"}, headers=user["headers"]).json()
    assert [item["id"] for item in found["items"]] == [first["query_id"]]

    rerun = client.post(f"/api/queries/{first['query_id']}/rerun", headers=user["headers"])
    assert rerun.status_code == 200 and rerun.json()["rows"] == first["rows"]
    assert rerun.json()["query_id"] != first["query_id"]
    assert client.get("/api/queries", headers=user["headers"]).json()["total"] == 3

    assert client.delete(f"/api/queries/{first['query_id']}", headers=user["headers"]).status_code == 204
    assert client.get(f"/api/queries/{first['query_id']}", headers=user["headers"]).status_code == 404

    assert client.delete(f"/api/data/source/{source['id']}", headers=user["headers"]).status_code == 204
    remaining = client.get("/api/queries", headers=user["headers"]).json()["items"]
    assert remaining and all(item["source_exists"] is False for item in remaining)
    gone = client.post(f"/api/queries/{remaining[0]['id']}/rerun", headers=user["headers"])
    assert gone.status_code == 404 and "deleted" in gone.json()["detail"]


def test_another_users_source_and_queries_are_404(client, sample, make_user):
    owner, source = sample
    asked = _ask(client, owner, source, "how many countries are there").json()
    intruder = make_user()
    checks = [
        client.post(
            "/api/ai/query", json={"source_id": source["id"], "question": "how many rows"}, headers=intruder["headers"]
        ),
        client.post("/api/ai/sql", json={"source_id": source["id"], "sql": "SELECT 1"}, headers=intruder["headers"]),
        client.get(f"/api/queries/{asked['query_id']}", headers=intruder["headers"]),
        client.post(f"/api/queries/{asked['query_id']}/rerun", headers=intruder["headers"]),
        client.delete(f"/api/queries/{asked['query_id']}", headers=intruder["headers"]),
    ]
    assert [response.status_code for response in checks] == [404] * len(checks)
    assert client.get("/api/queries", headers=intruder["headers"]).json() == {
        "items": [],
        "total": 0,
        "page": 1,
        "page_size": 50,
    }
    assert client.get(f"/api/queries/{asked['query_id']}", headers=owner["headers"]).status_code == 200


BAD_ASKS = [
    ({"source_id": 1}, 422),
    ({"question": "how many"}, 422),
    ({"source_id": "abc", "question": "how many"}, 422),
    ({"source_id": 0, "question": "how many"}, 422),
    ({"source_id": 999999, "question": "how many"}, 404),
    ({"source_id": "{sid}", "question": ""}, 422),
    ({"source_id": "{sid}", "question": "   "}, 422),
    ({"source_id": "{sid}", "question": "x" * 6000}, 422),
    ({"source_id": "{sid}", "question": "how many\x00rows"}, 422),
]


@pytest.mark.parametrize(("body", "status"), BAD_ASKS)
def test_bad_questions(client, sample, body, status):
    user, source = sample
    body = {key: (source["id"] if value == "{sid}" else value) for key, value in body.items()}
    response = client.post("/api/ai/query", json=body, headers=user["headers"])
    assert response.status_code == status, response.text
    assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize(
    ("params", "status"),
    [({"status": "weird"}, 422), ({"page": 0}, 422), ({"page_size": 1000}, 422), ({"date_from": "yesterday"}, 422),
     ({"source_id": "x"}, 422), ({"search": "s" * 500}, 422)],
)
def test_bad_history_filters(client, sample, params, status):
    user, _ = sample
    response = client.get("/api/queries", params=params, headers=user["headers"])
    assert response.status_code == status and isinstance(response.json()["detail"], str)


def test_answers_say_the_unit_of_amounts_uploaded_as_dollars(client, make_user):
    """A CSV whose amounts read "$1,234.50": the answer's columns say "$" where they are (or sum)
    the amount, and nothing where they count rows or compute a share; reruns keep it."""
    text = ("Invoice,Region,Amount,Discount\n"
            'INV-001,West,"$1,234.50",12 %\n'
            "INV-002,East,$980.00,5 %\n"
            'INV-003,West,"$12,000.00",\n'
            "INV-004,North,$75.99,0 %\n")
    user = make_user()
    created = client.post("/api/data/upload", files={"file": ("invoices.csv", text.encode(), "text/csv")},
                          headers=user["headers"])
    assert created.status_code == 201, created.text
    source = created.json()
    sql = ('SELECT "Region", SUM("Amount") AS total, AVG("Discount") AS discount, COUNT(*) AS n, '
           '100.0 * SUM("Amount") / (SELECT SUM("Amount") FROM invoices) AS share FROM invoices GROUP BY 1 ORDER BY 1')
    response = client.post("/api/ai/sql", json={"source_id": source["id"], "sql": sql}, headers=user["headers"])
    assert response.status_code == 200, response.text
    result = response.json()
    assert [(c["name"], c["unit"]) for c in result["columns"]] == [
        ("Region", None), ("total", "$"), ("discount", "%"), ("n", None), ("share", None)]
    assert result["rows"][0][:2] == ["East", 980.0] and result["rows"][2][1] == pytest.approx(13234.5)

    asked = _ask(client, user, source, "total amount by region")
    assert asked.status_code == 200, asked.text
    units = {c["name"]: c["unit"] for c in asked.json()["columns"]}
    assert units["Region"] is None and list(units.values()).count("$") == 1

    rerun = client.post(f"/api/queries/{result['query_id']}/rerun", headers=user["headers"])
    assert rerun.status_code == 200, rerun.text
    assert [c["unit"] for c in rerun.json()["columns"]] == [None, "$", "%", None, None]


def test_edited_sql_keeps_the_question_as_the_title_of_the_answer_chart_and_history(client, sample):
    user, source = sample
    asked = _ask(client, user, source, "How many rows are there for each continent?").json()
    table = source["tables"][0]["name"]
    edited = client.post(
        "/api/ai/sql",
        json={"source_id": source["id"], "sql": f"SELECT continent, COUNT(*) AS n FROM {table} GROUP BY 1",
              "query_id": asked["query_id"]},
        headers=user["headers"],
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert body["question"] == "How many rows are there for each continent?"
    assert body["chart"]["title"] == "How many rows are there for each continent?"
    entry = client.get("/api/queries", headers=user["headers"]).json()["items"][0]
    assert entry["question"] == "How many rows are there for each continent?" and entry["id"] == body["query_id"]
