"""The Export menu's handler without a browser: a signed link for a good answer, messages otherwise."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from lumiere.core.enums import QueryStatus
from lumiere.db import saved_id, session_scope
from lumiere.jobs import EmbeddedWorker, reset_job_queues
from lumiere.models import Query
from lumiere.services import ask, sources
from lumiere.services.auth import issue_token, register_user
from lumiere.state.arguments import INVALID_LINK
from lumiere.state.exports import ExportState
from tests.helpers.page_state import page_state, settled
from tests.helpers.rows import stored


@pytest.fixture
def answered(app_db):
    with session_scope() as session:
        user = register_user(session, email="exporter@example.com", password="correct horse", name="Exporter")
        source = saved_id(sources.load_sample_dataset(session, user))
        question = "How many rows are there for each continent?"
        answer = ask.ask_question(session, user, source_id=source, question=question)
        query_id = saved_id(answer.query)
        session.expunge(user)
    return issue_token(user).access_token, query_id


def _event(spec) -> tuple[str, dict]:
    return spec.handler.fn.__qualname__, {str(name): value for name, value in spec.args}


def test_download_sends_the_browser_to_a_signed_link(answered) -> None:
    token, query_id = answered
    state = page_state(ExportState, token, "/query")
    name, args = _event(settled(state.download(str(query_id), "xlsx")))
    assert name.endswith("_download")
    url = str(args["url"]).strip('"')
    assert url.startswith("/api/exports/")
    assert str(args["filename"]).strip('"').endswith(".xlsx")
    from lumiere.api import create_api

    response = TestClient(create_api()).get(url)
    assert response.status_code == 200 and response.content[:2] == b"PK"


def test_bad_ids_formats_and_failed_queries_say_why(answered) -> None:
    token, query_id = answered
    state = page_state(ExportState, token, "/history")
    assert INVALID_LINK in str(settled(state.download("nope", "csv")))
    assert "format must be one of csv, xlsx, pdf" in str(settled(state.download(str(query_id), "docx")))
    with session_scope() as session:
        query = stored(session, Query, query_id)
        query.status = QueryStatus.ERROR
        session.add(query)
    assert "did not succeed" in str(settled(state.download(str(query_id), "csv")))
    signed_out = page_state(ExportState, "", "/history")
    assert "login" in str(settled(signed_out.download(str(query_id), "csv")))


@pytest.fixture
def worker(app_db) -> Iterator[EmbeddedWorker]:
    reset_job_queues()
    running = EmbeddedWorker()
    running.start()
    yield running
    running.stop()
    reset_job_queues()


def test_email_me_the_file_queues_the_export_and_mails_a_link(answered, mail_settings, worker) -> None:
    token, query_id = answered
    state = page_state(ExportState, token, "/query")
    assert "exporter@example.com" in str(settled(state.email_me(str(query_id), "csv")))
    (received,) = mail_settings.wait_for(1, timeout=60)
    assert received.recipients == ["exporter@example.com"]
    assert "/api/files/" in received.message.get_body(("plain",)).get_content()
    assert "format must be one of" in str(settled(state.email_me(str(query_id), "docx")))
    assert INVALID_LINK in str(settled(state.email_me("nope", "csv")))


def test_email_me_the_file_without_smtp_says_so(answered) -> None:
    token, query_id = answered
    state = page_state(ExportState, token, "/query")
    assert "not configured" in str(settled(state.email_me(str(query_id), "csv"))).lower()
