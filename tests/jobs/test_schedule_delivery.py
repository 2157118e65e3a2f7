"""A schedule's run end to end: the embedded worker (real Huey, real threads) runs the query, writes the
file and emails it to a real SMTP server; the stop link stops the next emails; a mail server that is
down is retried, then the run fails with the reason. Both databases."""

from __future__ import annotations

import csv
import io
import re
import shutil
import time
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from lumiere.core.enums import RunStatus, UsageMetric
from lumiere.db import session_scope
from lumiere.models import EmailOptOut, Query, ScheduleRun, Source, User
from lumiere.services import usage, warehouse
from lumiere.services.deliveries import email_export, email_insight
from lumiere.services.insights import create_insight
from lumiere.services.plans import create_plan
from lumiere.storage.signed_links import sign, verify
from tests.helpers.schedules import make_schedule, run_now, wait_for_run
from tests.helpers.smtp import SmtpServer, free_port, point_mail_at


def _rows_of_query(query_id: int) -> list[list[str]]:
    with session_scope() as session:
        query = session.get(Query, query_id)
        assert query is not None
        source = session.get(Source, query.source_id)
        assert source is not None
        result = warehouse.execute(source, query.sql)
    return [["" if value is None else str(value) for value in row] for row in result.rows]


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _file(part: EmailMessage) -> tuple[str, bytes]:
    """An attachment's filename and decoded bytes."""
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    return part.get_filename() or "", data


def _stop_link(text: str) -> str:
    found = re.search(r"Stop these emails: (\S+)", text)
    assert found, text
    return found.group(1)


def test_a_run_emails_the_file_with_the_querys_rows_and_the_chart_inline(mail_settings: SmtpServer, worker,
                                                                         data_dir) -> None:
    scheduled = make_schedule(data_dir, recipients=["ann@example.com", "bob@example.com"], name="Daily tips")
    run = wait_for_run(run_now(scheduled))
    assert run.status == RunStatus.SENT, run.error
    assert run.row_count == 4 and run.error is None and run.started_at and run.finished_at
    received = mail_settings.wait_for(2)
    assert sorted(item.recipients[0] for item in received) == ["ann@example.com", "bob@example.com"]
    message = received[0].message
    assert message["Subject"] == "Daily tips"
    assert message["List-Unsubscribe"].startswith("<http") and message["List-Unsubscribe-Post"]
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert "Tips by day" in text.get_content() and "rows" in text.get_content()
    attachments = list(message.iter_attachments())
    assert len(attachments) == 1
    filename, data = _file(attachments[0])
    assert filename.endswith(".csv")
    rows = _csv_rows(data)
    assert attachments[0].get_content_type() == "text/csv"
    expected = _rows_of_query(scheduled.query_id)
    assert rows[0] == ["day", "tips"]
    assert sorted(rows[1:]) == sorted(expected)
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    if shutil.which("chromium"):
        assert len(images) == 1
        cid = images[0]["Content-ID"].strip("<>")
        assert f"cid:{cid}" in html.get_content()
        assert images[0].get_content()[:8] == b"\x89PNG\r\n\x1a\n"
        assert images[0].get_content_disposition() == "inline"
    else:
        assert not images and "Chart not available" in text.get_content()


def test_the_stop_link_stops_that_address_only_and_for_good(mail_settings: SmtpServer, worker, data_dir,
                                                            client: TestClient) -> None:
    scheduled = make_schedule(data_dir, recipients=["ann@example.com", "bob@example.com"])
    assert wait_for_run(run_now(scheduled)).status == RunStatus.SENT
    to_ann = next(item for item in mail_settings.wait_for(2) if item.recipients == ["ann@example.com"])
    text = to_ann.message.get_body(preferencelist=("plain",))
    assert text is not None
    link = _stop_link(text.get_content())
    assert link.startswith("http://localhost:3000/api/email/stop/")
    path = link.removeprefix("http://localhost:3000")
    page = client.get(path)  # opening the page stops nothing: link scanners fetch pages too
    assert page.status_code == 200 and "Stop these emails?" in page.text and "ann@example.com" in page.text
    with session_scope() as session:
        assert not session.exec(select(EmailOptOut)).all()
    done = client.post(path)
    assert done.status_code == 200 and "no more emails" in done.text
    assert client.post(path).status_code == 200  # twice is fine
    assert "no more emails" in client.get(path).text
    with session_scope() as session:
        assert [row.email for row in session.exec(select(EmailOptOut)).all()] == ["ann@example.com"]
    assert wait_for_run(run_now(scheduled)).status == RunStatus.SENT
    after = mail_settings.wait_for(3)
    assert [item.recipients for item in after[2:]] == [["bob@example.com"]]
    assert client.get(path[:-3] + "xyz").status_code == 404


def test_when_everyone_stopped_the_run_is_skipped(mail_settings: SmtpServer, worker, data_dir,
                                                  client: TestClient) -> None:
    scheduled = make_schedule(data_dir, recipients=["ann@example.com"])
    assert wait_for_run(run_now(scheduled)).status == RunStatus.SENT
    text = mail_settings.wait_for(1)[0].message.get_body(preferencelist=("plain",))
    assert text is not None
    assert client.post(_stop_link(text.get_content()).removeprefix("http://localhost:3000")).status_code == 200
    run = wait_for_run(run_now(scheduled))
    assert run.status == RunStatus.SKIPPED and run.error == "Every recipient has stopped these emails."
    assert len(mail_settings.messages()) == 1


def test_a_mail_server_that_is_down_is_retried_then_the_run_fails_with_the_reason(app_db, worker, data_dir,
                                                                                  monkeypatch) -> None:
    point_mail_at(monkeypatch, free_port())  # nothing listens there
    scheduled = make_schedule(data_dir)
    run = wait_for_run(run_now(scheduled))
    assert run.status == RunStatus.FAILED
    assert run.attempts == 3  # the first try and LUMIERE_JOB_RETRIES=2 retries
    assert run.error is not None
    assert "Could not connect to the mail server at 127.0.0.1:" in run.error and "gave up after 3 attempts" in run.error
    assert run.row_count == 4  # the query ran once, on the first attempt


def test_a_mail_server_that_comes_back_gets_the_email_on_a_retry(app_db, worker, data_dir, monkeypatch) -> None:
    server = SmtpServer()
    point_mail_at(monkeypatch, server.port, job_retry_delay_s="1")
    scheduled = make_schedule(data_dir)
    run_id = run_now(scheduled)
    try:
        first_error = None
        while first_error is None:  # the first attempt fails and asks for a retry
            with session_scope() as session:
                current = session.get(ScheduleRun, run_id)
                assert current is not None
                first_error = current.error
            time.sleep(0.05)
        assert "Attempt 1 failed" in first_error and "Trying again in 1 s" in first_error
        server.start()
        run = wait_for_run(run_id)
        assert run.status == RunStatus.SENT and run.attempts >= 2 and run.error is None
        assert len(server.wait_for(1)) == 1
    finally:
        server.stop()


def test_without_email_settings_a_run_records_its_result_and_fails_saying_so(app_db, worker, data_dir) -> None:
    scheduled = make_schedule(data_dir)
    run = wait_for_run(run_now(scheduled))
    assert run.status == RunStatus.FAILED and run.row_count == 4
    assert run.error is not None and run.error.startswith("Email is not configured on this server")
    assert "returned 4 rows" in run.error


@pytest.mark.parametrize(
    ("only_if", "status", "error"),
    [
        ({"rows": True}, RunStatus.SENT, None),
        ({"column": "tips", "op": ">", "value": 250}, RunStatus.SENT, None),
        ({"column": "tips", "op": ">", "value": 1000}, RunStatus.SKIPPED, "Not sent: no row has tips > 1000."),
        ({"column": "nope", "op": "<", "value": 1}, RunStatus.FAILED, "The alert condition's column 'nope'"),
    ],
)
def test_the_alert_condition_decides_whether_the_email_goes(mail_settings: SmtpServer, worker, data_dir, only_if,
                                                            status, error) -> None:
    run = wait_for_run(run_now(make_schedule(data_dir, only_if=only_if)))
    assert run.status == status
    assert (run.error or "").startswith(error or "")
    assert len(mail_settings.messages()) == (1 if status == RunStatus.SENT else 0)


def test_a_query_without_rows_is_skipped_by_the_rows_condition(mail_settings: SmtpServer, worker, data_dir) -> None:
    scheduled = make_schedule(data_dir, sql="SELECT * FROM tips WHERE tip > 1000", only_if={"rows": True})
    run = wait_for_run(run_now(scheduled))
    assert run.status == RunStatus.SKIPPED and run.row_count == 0
    assert run.error == "Not sent: the query returned no rows."


def test_a_file_over_the_attachment_limit_is_linked_and_the_link_expires(mail_settings: SmtpServer, worker,
                                                                          data_dir, monkeypatch,
                                                                          client: TestClient) -> None:
    point_mail_at(monkeypatch, mail_settings.port, email_attachment_max_mb="0.0001")
    scheduled = make_schedule(data_dir, sql="SELECT * FROM tips")
    assert wait_for_run(run_now(scheduled)).status == RunStatus.SENT
    message = mail_settings.wait_for(1)[0].message
    assert not list(message.iter_attachments())
    text = message.get_body(preferencelist=("plain",))
    assert text is not None and "too large to attach" in text.get_content()
    link = re.search(r"http://localhost:3000(/api/files/\S+)", text.get_content())
    assert link
    download = client.get(link.group(1))
    assert download.status_code == 200 and download.headers["content-disposition"].startswith("attachment")
    assert len(_csv_rows(download.content)) == 245  # the header and every row of tips
    token = link.group(1).rsplit("/", 1)[1]
    expired = sign("download", verify("download", token), ttl_s=-1)  # the same file, signed an hour too short
    gone = client.get(f"/api/files/{expired}")
    assert gone.status_code == 404 and "expired" in gone.json()["detail"]


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize(("fmt", "content_type", "magic"), [("xlsx", XLSX_TYPE, b"PK"),
                                                            ("pdf", "application/pdf", b"%PDF")])
def test_xlsx_and_pdf_schedules_attach_their_file(mail_settings: SmtpServer, worker, data_dir, fmt, content_type,
                                                  magic) -> None:
    run = wait_for_run(run_now(make_schedule(data_dir, format=fmt)), timeout=120)
    assert run.status == RunStatus.SENT, run.error
    (attachment,) = mail_settings.wait_for(1)[0].message.iter_attachments()
    filename, data = _file(attachment)
    assert attachment.get_content_type() == content_type and filename.endswith(f".{fmt}")
    assert data[: len(magic)] == magic


def test_email_me_this_insight_reaches_the_users_own_address(mail_settings: SmtpServer, worker, data_dir) -> None:
    scheduled = make_schedule(data_dir)
    with session_scope() as session:
        user = session.get(User, scheduled.user_id)
        assert user is not None
        insight = create_insight(session, user, scheduled.query_id)
        session.flush()
        queued = email_insight(session, user, insight.id or 0)
    assert queued.status == "queued" and queued.to == scheduled.email
    (received,) = mail_settings.wait_for(1)
    assert received.recipients == [scheduled.email]
    text = received.message.get_body(preferencelist=("plain",))
    assert text is not None and "Tips by day" in text.get_content() and "Stop these emails" not in text.get_content()
    assert received.message["Subject"] == "Insight: Tips by day"


def test_a_large_export_is_written_by_a_job_and_emailed_as_a_link(mail_settings: SmtpServer, worker, data_dir,
                                                                  client: TestClient) -> None:
    scheduled = make_schedule(data_dir, sql="SELECT * FROM tips")
    with session_scope() as session:
        user = session.get(User, scheduled.user_id)
        assert user is not None
        queued = email_export(session, user, scheduled.query_id, "csv")
    assert queued.to == scheduled.email
    (received,) = mail_settings.wait_for(1)
    assert received.recipients == [scheduled.email] and not list(received.message.iter_attachments())
    text = received.message.get_body(preferencelist=("plain",))
    assert text is not None
    link = re.search(r"http://localhost:3000(/api/files/\S+)", text.get_content())
    assert link and "too large" not in text.get_content()
    served = client.get(link.group(1))
    assert served.status_code == 200 and len(_csv_rows(served.content)) == 245


def test_each_run_counts_as_one_query_of_the_plan(mail_settings: SmtpServer, worker, data_dir) -> None:
    scheduled = make_schedule(data_dir)

    def used() -> int:
        with session_scope() as session:
            return usage.current_used(session, scheduled.user_id, UsageMetric.QUERIES)

    before = used()
    assert wait_for_run(run_now(scheduled)).status == RunStatus.SENT
    assert used() == before + 1


def test_a_run_past_the_plans_query_limit_fails_saying_so(mail_settings: SmtpServer, worker, data_dir) -> None:
    scheduled = make_schedule(data_dir)
    with session_scope() as session:
        create_plan(session, name="onequery", title="One query", limits={"queries_per_month": 1})
        user = session.get(User, scheduled.user_id)
        assert user is not None
        user.plan = "onequery"  # the schedule's own query used the one query
        session.add(user)
    run = wait_for_run(run_now(scheduled))
    assert run.status == RunStatus.FAILED and run.error is not None
    assert "You have used all 1 queries of the One query plan this month" in run.error
    assert mail_settings.messages() == []
