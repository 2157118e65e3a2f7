"""/api/schedules (create, list, get, patch, delete, run now, runs), the emails a user asks for, and the
links in emails (stop, download): every route and status code, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from lumiere.db import session_scope
from lumiere.jobs import job_queue, reset_job_queues
from lumiere.models import EmailOptOut, Schedule, ScheduleRun
from lumiere.services.mail.links import keep_for_download, stop_url
from lumiere.storage.signed_links import sign
from tests.helpers.api import make_query
from tests.helpers.smtp import SmtpServer, point_mail_at

SCHEDULE_KEYS = {"id", "name", "query_id", "cron", "timezone", "recipients", "format", "only_if", "enabled",
                 "next_run_at", "last_run_at", "last_status"}
RUN_KEYS = {"id", "schedule_id", "started_at", "finished_at", "status", "error", "row_count"}


@pytest.fixture(autouse=True)
def _fresh_queue(app_db: str):
    reset_job_queues()
    yield
    reset_job_queues()


def _body(query_id: int, **changes: Any) -> dict[str, Any]:
    return {"query_id": query_id, "cron": "0 8 * * MON", "timezone": "Europe/Paris",
            "recipients": ["team@example.com"], "format": "csv", **changes}


def _create(client: TestClient, user: dict, query_id: int, **changes: Any) -> dict[str, Any]:
    response = client.post("/api/schedules", json=_body(query_id, **changes), headers=user["headers"])
    assert response.status_code == 201, response.text
    return response.json()


def test_create_get_list_patch_and_delete_a_schedule(client, make_user) -> None:
    user = make_user()
    query_id = make_query(client, user)
    schedule = _create(client, user, query_id, name="Weekly tips", only_if={"column": "tips", "op": ">", "value": 10})
    assert set(schedule) >= SCHEDULE_KEYS
    assert schedule["name"] == "Weekly tips" and schedule["query_id"] == query_id and schedule["enabled"] is True
    assert schedule["cron_text"] == "At 08:00 on Monday" and schedule["question"] == "Tips by day"
    assert schedule["next_run_at"].endswith(":00Z") and schedule["last_run_at"] is None
    assert schedule["last_status"] is None and schedule["format"] == "csv"
    headers = user["headers"]
    assert client.get(f"/api/schedules/{schedule['id']}", headers=headers).json() == schedule
    listed = client.get("/api/schedules", headers=headers).json()
    assert listed["total"] == 1 and listed["items"] == [schedule] and listed["email_configured"] is False

    patched = client.patch(f"/api/schedules/{schedule['id']}", headers=headers,
                           json={"cron": "30 7 * * *", "timezone": "America/New_York", "format": "xlsx",
                                 "recipients": "a@example.com, B@Example.com", "only_if": None})
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["cron"], body["timezone"], body["format"], body["only_if"]) == (
        "30 7 * * *", "America/New_York", "xlsx", None)
    assert body["recipients"] == ["a@example.com", "b@example.com"] and body["name"] == "Weekly tips"
    off = client.patch(f"/api/schedules/{schedule['id']}", json={"enabled": False}, headers=headers).json()
    assert off["enabled"] is False and off["next_run_at"] is None
    on = client.patch(f"/api/schedules/{schedule['id']}", json={"enabled": True}, headers=headers).json()
    assert on["next_run_at"] is not None

    assert client.get("/api/usage", headers=headers).json()["used"]["schedules"] == 1
    assert client.delete(f"/api/schedules/{schedule['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/schedules/{schedule['id']}", headers=headers).status_code == 404
    assert client.delete(f"/api/schedules/{schedule['id']}", headers=headers).status_code == 404
    assert client.get("/api/usage", headers=headers).json()["used"]["schedules"] == 0


@pytest.mark.parametrize(("changes", "field", "says"), [
    ({"cron": "0 8 * *"}, "cron", "exactly 5 fields"),
    ({"cron": "0 25 * * *"}, "cron", "not a valid cron"),
    ({"timezone": "Mars/Olympus"}, "timezone", "not an IANA time zone"),
    ({"recipients": []}, "recipients", "at least one"),
    ({"recipients": ["team@example.com", "not-an-address"]}, "recipients", "'not-an-address' is not a valid"),
    ({"recipients": [f"user{n}@example.com" for n in range(21)]}, "recipients", "at most 20"),
    ({"format": "docx"}, "format", "csv, xlsx, pdf"),
    ({"name": "   "}, "name", "Give the schedule a name"),
    ({"name": "x" * 201}, "name", "too long"),
    ({"only_if": {"rows": False}}, "only_if", "only_if is"),
    ({"only_if": {"column": "tips", "op": "~", "value": 3}}, "only_if", "op must be one of"),
    ({"only_if": {"column": "tips", "op": ">", "value": "lots"}}, "only_if", "value must be a number"),
    ({"only_if": {"column": "tips", "op": ">", "value": 3, "extra": 1}}, "only_if", "only_if is"),
])
def test_bad_input_is_a_422_naming_the_field(client, make_user, changes, field, says) -> None:
    user = make_user()
    query_id = make_query(client, user)
    created = client.post("/api/schedules", json=_body(query_id, **changes), headers=user["headers"])
    assert created.status_code == 422 and created.json()["field"] == field and says in created.json()["detail"]
    schedule = _create(client, user, query_id)
    patched = client.patch(f"/api/schedules/{schedule['id']}", json=changes, headers=user["headers"])
    assert patched.status_code == 422 and patched.json()["field"] == field


def test_a_schedule_needs_a_successful_query_of_ones_own(client, make_user) -> None:
    user, other = make_user(), make_user()
    others_query = make_query(client, other)
    response = client.post("/api/schedules", json=_body(others_query), headers=user["headers"])
    assert response.status_code == 404
    own = make_query(client, user)
    source_id = client.get(f"/api/queries/{own}", headers=user["headers"]).json()["source_id"]
    bad = client.post("/api/ai/sql", json={"source_id": source_id, "sql": "SELECT nope FROM tips"},
                      headers=user["headers"])
    assert bad.status_code == 400
    failed_id = client.get("/api/queries?status=error", headers=user["headers"]).json()["items"][0]["id"]
    refused = client.post("/api/schedules", json=_body(failed_id), headers=user["headers"])
    assert refused.status_code == 422 and refused.json()["field"] == "query_id"
    assert client.post("/api/schedules", json={**_body(own), "query_id": "seven"},
                       headers=user["headers"]).status_code == 422
    assert client.post("/api/schedules", json={"cron": "0 8 * * *"}, headers=user["headers"]).status_code == 422
    assert client.post("/api/schedules", json=_body(own)).status_code == 401
    assert client.delete(f"/api/data/source/{source_id}", headers=user["headers"]).status_code == 204
    gone = client.post("/api/schedules", json=_body(own), headers=user["headers"])
    assert gone.status_code == 422 and "was deleted" in gone.json()["detail"]


def test_another_users_schedule_is_not_found_on_every_route(client, make_user) -> None:
    owner, other = make_user(), make_user()
    schedule = _create(client, owner, make_query(client, owner))
    path = f"/api/schedules/{schedule['id']}"
    headers = other["headers"]
    for response in (client.get(path, headers=headers), client.patch(path, json={"name": "x"}, headers=headers),
                     client.delete(path, headers=headers), client.post(f"{path}/run", headers=headers),
                     client.get(f"{path}/runs", headers=headers)):
        assert response.status_code == 404, response.text
    assert client.get("/api/schedules", headers=headers).json()["total"] == 0
    assert client.get(path).status_code == 401
    assert client.get("/api/schedules/0", headers=headers).status_code == 422


def test_the_plans_schedules_limit_is_a_402_and_deleting_one_makes_room(client, make_user) -> None:
    user = make_user()
    query_id = make_query(client, user)
    made = [_create(client, user, query_id) for _ in range(5)]  # the free plan allows 5
    over = client.post("/api/schedules", json=_body(query_id), headers=user["headers"])
    assert over.status_code == 402
    assert (over.json()["limit"], over.json()["used"], over.json()["plan"]) == (5, 5, "free")
    assert "scheduled queries" in over.json()["detail"]
    assert client.get("/api/schedules", headers=user["headers"]).json()["total"] == 5
    assert client.delete(f"/api/schedules/{made[0]['id']}", headers=user["headers"]).status_code == 204
    _create(client, user, query_id)


def test_run_now_queues_a_run_once_and_lists_it(client, make_user) -> None:
    user = make_user()
    schedule = _create(client, user, make_query(client, user))
    path = f"/api/schedules/{schedule['id']}"
    queued = client.post(f"{path}/run", headers=user["headers"])
    assert queued.status_code == 202, queued.text
    run = queued.json()
    assert set(run) >= RUN_KEYS and run["status"] == "queued" and run["trigger"] == "manual"
    assert run["schedule_id"] == schedule["id"] and run["started_at"] is None and run["fire_at"] is None
    assert job_queue().huey.pending_count() == 1  # handed to the queue once the request committed
    again = client.post(f"{path}/run", headers=user["headers"])
    assert again.status_code == 409 and job_queue().huey.pending_count() == 1
    runs = client.get(f"{path}/runs", headers=user["headers"]).json()
    assert runs["total"] == 1 and runs["items"] == [run]
    assert client.get(path, headers=user["headers"]).json()["last_status"] == "queued"
    assert client.get(f"{path}/runs?page_size=0", headers=user["headers"]).status_code == 422


def test_email_me_this_insight_and_a_large_export(client, make_user, smtp_server: SmtpServer, monkeypatch) -> None:
    user, other = make_user(), make_user()
    query_id = make_query(client, user)
    insight = client.post("/api/ai/insight", json={"query_id": query_id}, headers=user["headers"]).json()
    not_configured = client.post(f"/api/insights/{insight['id']}/email", headers=user["headers"])
    assert not_configured.status_code == 503 and "LUMIERE_SMTP_HOST" in not_configured.json()["detail"]
    assert client.post(f"/api/queries/{query_id}/export/email", json={"format": "csv"},
                       headers=user["headers"]).status_code == 503
    point_mail_at(monkeypatch, smtp_server.port)
    queued = client.post(f"/api/insights/{insight['id']}/email", headers=user["headers"])
    assert queued.status_code == 202 and queued.json()["to"] == user["email"] and queued.json()["status"] == "queued"
    assert client.post(f"/api/insights/{insight['id']}/email", headers=other["headers"]).status_code == 404
    assert client.post(f"/api/insights/{insight['id']}/email").status_code == 401
    export = client.post(f"/api/queries/{query_id}/export/email", json={"format": "xlsx"}, headers=user["headers"])
    assert export.status_code == 202 and "XLSX" in export.json()["detail"]
    bad = client.post(f"/api/queries/{query_id}/export/email", json={"format": "doc"}, headers=user["headers"])
    assert bad.status_code == 422 and bad.json()["field"] == "format"
    assert client.post(f"/api/queries/{query_id}/export/email", json={"format": "csv"},
                       headers=other["headers"]).status_code == 404
    assert job_queue().huey.pending_count() == 2


def test_stop_and_download_links_work_without_an_account_and_refuse_anything_else(client, make_user,
                                                                                  data_dir) -> None:
    user = make_user()
    schedule = _create(client, user, make_query(client, user), name="Tips <b>report</b>")
    path = stop_url(schedule["id"], "team@example.com").split("3000", 1)[1]
    page = client.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Tips &lt;b&gt;report&lt;/b&gt;" in page.text and "<form method=\"post\">" in page.text
    assert client.post(path).status_code == 200
    for bad in ("/api/email/stop/nope", "/api/email/stop/" + sign("download", {"s": 1, "e": "x"}, ttl_s=None)):
        assert client.get(bad).status_code == 404 and client.post(bad).status_code == 404
    assert client.delete(f"/api/schedules/{schedule['id']}", headers=user["headers"]).status_code == 204
    assert "no more emails" in client.get(path).text  # the schedule is gone: nothing more will come

    file = data_dir / "report.csv"
    file.write_text("a,b\n1,2\n")
    with session_scope():
        link = keep_for_download(file, "report.csv", "text/csv; charset=utf-8")
    download = link.url.split("3000", 1)[1]
    served = client.get(download)
    assert served.status_code == 200 and served.content == b"a,b\n1,2\n"
    assert served.headers["content-disposition"].startswith("attachment; filename=\"report.csv\"")
    # one signature character changed (not the last: its low bits may be padding a decoder ignores)
    swapped = "A" if download[-5] != "A" else "B"
    assert client.get(download[:-5] + swapped + download[-4:]).status_code == 404
    assert client.get("/api/files/" + sign("download", {"f": "../../etc/passwd", "t": "text/plain"},
                                           ttl_s=60)).status_code == 404
    assert client.get("/api/files/" + sign("download", {"f": "0" * 32 + "/gone.csv", "t": "text/csv"},
                                           ttl_s=60)).status_code == 404
    expired = client.get("/api/files/" + sign("download", {"f": "0" * 32 + "/x.csv", "t": "text/csv"}, ttl_s=-1))
    assert expired.status_code == 404 and "expired" in expired.json()["detail"]


def test_schedule_responses_match_the_published_schemas(client, make_user) -> None:
    from tests.api.test_openapi_contract import _mismatches, _success_schema

    document = client.get("/api/openapi.json").json()
    user = make_user()
    headers = user["headers"]
    schedule = _create(client, user, make_query(client, user), only_if={"rows": True})
    path = f"/api/schedules/{schedule['id']}"
    calls = [
        ("post", "/api/schedules/{schedule_id}/run", client.post(f"{path}/run", headers=headers)),
        ("get", "/api/schedules", client.get("/api/schedules", headers=headers)),
        ("get", "/api/schedules/{schedule_id}", client.get(path, headers=headers)),
        ("patch", "/api/schedules/{schedule_id}", client.patch(path, json={"name": "n"}, headers=headers)),
        ("get", "/api/schedules/{schedule_id}/runs", client.get(f"{path}/runs", headers=headers)),
    ]
    assert _mismatches(schedule, _success_schema(document, "post", "/api/schedules"), document) == []
    for method, route, response in calls:
        assert response.status_code in (200, 202), (route, response.text)
        assert _mismatches(response.json(), _success_schema(document, method, route), document) == [], route


def test_deleting_an_account_deletes_its_schedules_runs_and_opt_outs(client, make_user) -> None:
    make_user()  # the first account is the admin, who cannot delete themself
    user = make_user()
    schedule = _create(client, user, make_query(client, user))
    assert client.post(f"/api/schedules/{schedule['id']}/run", headers=user["headers"]).status_code == 202
    assert client.post(stop_url(schedule["id"], "team@example.com").split("3000", 1)[1]).status_code == 200
    deleted = client.request("DELETE", f"/api/users/{user['id']}", json={"current_password": user["password"]},
                             headers=user["headers"])
    assert deleted.status_code == 204, deleted.text
    with session_scope() as session:
        for table in (Schedule, ScheduleRun, EmailOptOut):
            assert session.exec(select(func.count()).select_from(table)).one() == 0
