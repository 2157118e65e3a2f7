"""GET /api/queries/{id}/export and the signed link GET /api/exports/{token}: files, headers, status codes."""

from __future__ import annotations

import io
import zipfile
from urllib.parse import unquote

import pandas as pd
import plotly.data
import pytest
from pypdf import PdfReader

from lumiere.core.enums import QueryStatus
from lumiere.db import saved_id, session_scope
from lumiere.models import Query, User
from lumiere.services.exports.downloads import download_link
from lumiere.storage.signed_links import sign
from tests.helpers.api import make_query
from tests.helpers.rows import stored

SQL = 'SELECT "day", "time", total_bill, tip FROM tips'


@pytest.fixture
def owner_and_query(client, make_user) -> tuple[dict, int]:
    user = make_user()
    return user, make_query(client, user, sql=SQL, question="Tips à Paris — every bill")


def test_csv_holds_every_row_with_an_attachment_header(client, owner_and_query) -> None:
    user, query_id = owner_and_query
    response = client.get(f"/api/queries/{query_id}/export?format=csv", headers=user["headers"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="Tips-a-Paris-every-bill-')
    assert disposition.split('filename="', 1)[1].split('"', 1)[0].isascii()
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]).startswith("Tips à Paris — every bill ")
    frame = pd.read_csv(io.BytesIO(response.content), encoding="utf-8-sig")
    tips = plotly.data.tips()
    assert len(frame) == len(tips) == 244
    assert list(frame.columns) == ["day", "time", "total_bill", "tip"]
    assert frame["tip"].sum() == pytest.approx(tips["tip"].sum())


def test_xlsx_and_pdf_come_with_their_content_types(client, owner_and_query) -> None:
    user, query_id = owner_and_query
    xlsx = client.get(f"/api/queries/{query_id}/export?format=xlsx", headers=user["headers"])
    assert xlsx.status_code == 200, xlsx.text
    assert xlsx.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "xl/worksheets/sheet1.xml" in zipfile.ZipFile(io.BytesIO(xlsx.content)).namelist()
    pdf = client.get(f"/api/queries/{query_id}/export?format=PDF", headers=user["headers"])
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Tips à Paris" in text and "First 50 of 244 rows" in text


def test_a_bad_format_is_a_422_that_names_it(client, owner_and_query) -> None:
    user, query_id = owner_and_query
    response = client.get(f"/api/queries/{query_id}/export?format=docx", headers=user["headers"])
    assert response.status_code == 422
    assert response.json()["field"] == "format"
    assert "csv, xlsx, pdf" in response.json()["detail"] and "docx" in response.json()["detail"]


def test_another_users_query_is_404_and_no_token_is_401(client, make_user, owner_and_query) -> None:
    _, query_id = owner_and_query
    stranger = make_user()
    assert client.get(f"/api/queries/{query_id}/export?format=csv", headers=stranger["headers"]).status_code == 404
    assert client.get(f"/api/queries/{query_id}/export?format=csv").status_code == 401
    assert client.get("/api/queries/999999/export?format=csv", headers=stranger["headers"]).status_code == 404


def test_a_failed_query_is_a_422(client, make_user) -> None:
    user = make_user()
    query_id = make_query(client, user)
    with session_scope() as session:
        query = stored(session, Query, query_id)
        query.status, query.error = QueryStatus.ERROR, "boom"
        session.add(query)
    response = client.get(f"/api/queries/{query_id}/export?format=csv", headers=user["headers"])
    assert response.status_code == 422
    assert "did not succeed" in response.json()["detail"]


def test_a_signed_link_downloads_without_sign_in(client, owner_and_query) -> None:
    user, query_id = owner_and_query
    with session_scope() as session:
        link = download_link(session, stored(session, User, user["id"]), query_id, "xlsx")
    assert link.path.startswith("/api/exports/") and link.url.endswith(link.path)
    response = client.get(link.path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="Tips-a-Paris-every-bill-' in response.headers["content-disposition"]


def test_expired_forged_and_foreign_links_are_404(client, make_user, owner_and_query) -> None:
    user, query_id = owner_and_query
    expired = sign("export", {"u": user["id"], "q": query_id, "f": "csv"}, ttl_s=-1)
    response = client.get(f"/api/exports/{expired}")
    assert response.status_code == 404 and "expired" in response.json()["detail"]
    good = sign("export", {"u": user["id"], "q": query_id, "f": "csv"}, ttl_s=60)
    forged = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    response = client.get(f"/api/exports/{forged}")
    assert response.status_code == 404 and "not valid" in response.json()["detail"]
    other_purpose = sign("unsubscribe", {"u": user["id"], "q": query_id, "f": "csv"}, ttl_s=60)
    assert client.get(f"/api/exports/{other_purpose}").status_code == 404
    stranger = make_user()
    theirs = sign("export", {"u": stranger["id"], "q": query_id, "f": "csv"}, ttl_s=60)
    assert client.get(f"/api/exports/{theirs}").status_code == 404


def test_a_link_stops_working_when_the_query_is_deleted(client, owner_and_query) -> None:
    user, query_id = owner_and_query
    with session_scope() as session:
        account = stored(session, User, user["id"])
        path = download_link(session, account, query_id, "csv").path
        assert saved_id(account) == user["id"]
    assert client.delete(f"/api/queries/{query_id}", headers=user["headers"]).status_code == 204
    assert client.get(path).status_code == 404
