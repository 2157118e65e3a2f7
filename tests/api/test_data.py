"""/api/data over HTTP on both app databases: uploads and their refusals, reading, deleting, the
sample dataset, database connections, and isolation between users."""

from __future__ import annotations

import gzip
import io
import secrets
import sys
import tempfile
import zipfile
from pathlib import Path

import duckdb
import plotly.data
import psycopg2
import pymysql
import pytest
from sqlmodel import select

from lumiere.config import reset_settings
from lumiere.db import session_scope
from lumiere.models import Source
from lumiere.storage.crypto import decrypt_secret
from tests.helpers.rows import stored

TIPS = plotly.data.tips().to_csv(index=False).encode()


def upload(client, user, content: bytes, filename: str = "tips.csv", **data):
    return client.post("/api/data/upload", files={"file": (filename, content, "text/csv")}, data=data,
                       headers=user["headers"])


def stored_files(data_dir: Path) -> list[str]:
    """Everything uploads may leave on disk: dataset files and staged uploads."""
    found = []
    for folder in ("datasets", "tmp"):
        root = data_dir / folder
        if root.exists():
            found += [str(p.relative_to(data_dir)) for p in root.rglob("*") if p.is_file()]
    return sorted(found)


def source_rows() -> list[Source]:
    with session_scope() as session:
        return list(session.exec(select(Source)))


def raw_multipart(parts: list[tuple[str, str | None, bytes]], boundary: str = "lumiereBoundary7") -> tuple[bytes, str]:
    """A multipart body written by hand, so tests control part order and file names exactly."""
    body = b""
    for field, filename, content in parts:
        disposition = f'form-data; name="{field}"' + (f'; filename="{filename}"' if filename is not None else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + content + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


# --- uploading -----------------------------------------------------------------------------------


def test_upload_returns_the_source(client, make_user, data_dir):
    user = make_user()
    response = upload(client, user, TIPS)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["kind"] == "csv" and body["name"] == "tips.csv" and body["row_count"] == 244
    assert body["column_count"] == 7 and body["size_bytes"] > 0 and body["created_at"].endswith("Z")
    assert body["tables"] == [{
        "name": "tips",
        "row_count": 244,
        "columns": [
            {"name": "total_bill", "type": "DOUBLE", "kind": "number"},
            {"name": "tip", "type": "DOUBLE", "kind": "number"},
            {"name": "sex", "type": "VARCHAR", "kind": "text"},
            {"name": "smoker", "type": "BOOLEAN", "kind": "boolean"},
            {"name": "day", "type": "VARCHAR", "kind": "text"},
            {"name": "time", "type": "VARCHAR", "kind": "text"},
            {"name": "size", "type": "BIGINT", "kind": "integer"},
        ],
    }]
    [dataset] = stored_files(data_dir)
    assert dataset.startswith(f"datasets/{user['id']}/") and str(data_dir) not in response.text
    assert upload(client, user, TIPS).json()["tables"][0]["name"] == "tips_2"


@pytest.mark.parametrize("order", ["name first", "name last"])
def test_the_optional_name_may_come_before_or_after_the_file(client, make_user, order):
    user = make_user()
    parts = [("file", "tips.csv", TIPS), ("name", None, "Pourboires €".encode())]
    body, content_type = raw_multipart(parts if order == "name last" else parts[::-1])
    response = client.post("/api/data/upload", content=body,
                           headers={**user["headers"], "Content-Type": content_type})
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Pourboires €" and response.json()["row_count"] == 244


def test_upload_needs_a_signed_in_user(client, data_dir):
    response = client.post("/api/data/upload", files={"file": ("tips.csv", TIPS, "text/csv")})
    assert response.status_code == 401
    assert stored_files(data_dir) == []


def _parquet() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "file"
        with duckdb.connect() as con:
            con.execute(f"COPY (SELECT 1 AS a, 'x' AS b) TO '{path}' (FORMAT parquet)")
        return path.read_bytes()


def _duckdb_file() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "file"
        with duckdb.connect(str(path)) as con:
            con.execute("CREATE TABLE secret AS SELECT 42 AS answer")
        return path.read_bytes()


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("tips.csv", TIPS)
    return buffer.getvalue()


REFUSED_UPLOADS = [
    # (case, file name, content, status, message fragment)
    ("empty file", "empty.csv", lambda: b"", 400, "The file is empty"),
    ("header without rows", "header.csv", lambda: b"total_bill,tip,sex\n", 422, "header row but no data rows"),
    ("gzip named .csv", "tips.csv", lambda: gzip.compress(TIPS), 415, "gzip archive"),
    ("zip named .csv", "tips.csv", _zip, 415, "zip archive"),
    ("binary data", "data.csv", lambda: bytes(range(256)) * 64, 415, "binary data"),
    ("parquet named .csv", "tips.csv", _parquet, 415, "Parquet file"),
    ("duckdb named .csv", "tips.csv", _duckdb_file, 415, "DuckDB database"),
    ("executable named .csv", "tips.csv", lambda: Path(sys.executable).resolve().read_bytes()[:300_000], 415,
     "executable"),
    ("ragged rows", "ragged.csv", lambda: b"a,b,c\n" + b"1,2,3\n" * 90 + b"1,2\n" * 5 + b"1,2,3,4\n" * 5, 422,
     "Line 92 has 2 fields where 3 were expected"),
    ("2,001 columns", "wide.csv",
     lambda: (",".join(f"c{i}" for i in range(2001)) + "\n" + ",".join(["1"] * 2001) + "\n").encode(), 422,  # noqa: PLW0108
     "The file has 2,001 columns; at most 2,000 are allowed"),
    ("a 2 MB field", "long.csv", lambda: b"id,essay\n1," + b"x" * (2 * 1024 * 1024) + b"\n2,short\n", 422,
     "at most 1,024 KB"),
    ("spreadsheet", "book.xlsx", _zip, 415, "Only CSV text files"),
]


@pytest.mark.parametrize(("case", "filename", "make", "status", "message"), REFUSED_UPLOADS,
                         ids=[case[0] for case in REFUSED_UPLOADS])
def test_refused_uploads_say_why_and_leave_nothing(client, make_user, data_dir, case, filename, make, status,
                                                   message):
    user = make_user()
    response = upload(client, user, make(), filename=filename)
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]
    assert str(data_dir) not in response.text
    assert stored_files(data_dir) == []
    assert source_rows() == []


@pytest.mark.parametrize(
    "filename", ["../../etc/tips.csv", "folder/tips.csv", "folder\\tips.csv", "tips\x00.csv"],
)
def test_file_names_with_path_separators_or_nul_are_refused(client, make_user, data_dir, filename):
    user = make_user()
    body, content_type = raw_multipart([("file", filename, TIPS)])
    response = client.post("/api/data/upload", content=body, headers={**user["headers"], "Content-Type": content_type})
    assert response.status_code == 400, response.text
    assert response.json()["detail"] == "The file name may not contain path separators or NUL characters."
    assert stored_files(data_dir) == [] and source_rows() == []


def test_too_large_upload_is_a_413(client, make_user, data_dir, monkeypatch):
    monkeypatch.setenv("LUMIERE_MAX_UPLOAD_MB", "1")
    reset_settings()
    user = make_user()
    big = b"a,b\n" + b"12345,67890\n" * 200_000  # 2.4 MB
    response = upload(client, user, big, filename="big.csv")
    assert response.status_code == 413
    assert response.json()["detail"].startswith("The file is larger than the upload limit of 1 MB")
    # A body that does not announce its length is cut off by the streaming count instead.
    body, content_type = raw_multipart([("file", "big.csv", big)])

    def chunked():
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    response = client.post("/api/data/upload", content=chunked(),
                           headers={**user["headers"], "Content-Type": content_type})
    assert response.status_code == 413
    assert stored_files(data_dir) == [] and source_rows() == []


def test_malformed_requests(client, make_user, data_dir):
    user = make_user()
    response = client.post("/api/data/upload", json={"file": "tips.csv"}, headers=user["headers"])
    assert response.status_code == 415 and "multipart/form-data" in response.json()["detail"]
    response = client.post("/api/data/upload", data={"name": "no file"}, files={"other": ("x.csv", b"a\n1\n")},
                           headers=user["headers"])
    assert response.status_code == 400 and "field `file`" in response.json()["detail"]
    body, content_type = raw_multipart([("file", "tips.csv", TIPS)])
    response = client.post("/api/data/upload", content=body[: len(body) // 2],
                           headers={**user["headers"], "Content-Type": content_type})
    assert response.status_code == 400
    assert stored_files(data_dir) == [] and source_rows() == []


# --- reading and deleting ------------------------------------------------------------------------


def test_list_detail_preview_profile_delete(client, make_user, data_dir):
    user = make_user()
    tips = upload(client, user, TIPS).json()
    sample = client.post("/api/data/sample", headers=user["headers"])
    assert sample.status_code == 201 and sample.json()["name"] == "gapminder"
    assert sample.json()["row_count"] == 1704

    listing = client.get("/api/data/sources", headers=user["headers"]).json()
    assert listing["total"] == 2 and [item["name"] for item in listing["items"]] == ["gapminder", "tips.csv"]

    detail = client.get(f"/api/data/source/{tips['id']}", headers=user["headers"]).json()
    assert detail["tables"] == tips["tables"]
    assert detail["details"]["encoding"] == "UTF-8" and detail["details"]["delimiter"] == "comma"
    profiled = {c["name"] for c in detail["profile"]["tables"][0]["columns"]}
    assert profiled == {c["name"] for c in tips["tables"][0]["columns"]}
    assert isinstance(detail["suggested_questions"], list) and detail["suggested_questions"]

    preview = client.get(f"/api/data/source/{tips['id']}/preview?limit=3&offset=1", headers=user["headers"]).json()
    assert preview["total"] == 244 and len(preview["rows"]) == 3
    assert preview["rows"][0] == [10.34, 1.66, "Male", False, "Sun", "Dinner", 3]
    assert [c["name"] for c in preview["columns"]][:2] == ["total_bill", "tip"]
    assert client.get(f"/api/data/source/{tips['id']}/preview?limit=0", headers=user["headers"]).status_code == 422

    profile = client.get(f"/api/data/source/{sample.json()['id']}/profile", headers=user["headers"]).json()
    continent = next(c for c in profile["columns"] if c["name"] == "continent")
    assert continent["top_values"][0] == {"value": "Africa", "count": 624}

    assert client.delete(f"/api/data/source/{tips['id']}", headers=user["headers"]).status_code == 204
    assert client.get(f"/api/data/source/{tips['id']}", headers=user["headers"]).status_code == 404
    assert len(stored_files(data_dir)) == 1  # only gapminder's dataset is left
    assert client.get("/api/data/sources", headers=user["headers"]).json()["total"] == 1


def test_another_users_source_is_404_on_every_route(client, make_user, data_dir):
    owner, intruder = make_user(), make_user()
    source_id = upload(client, owner, TIPS).json()["id"]
    for method, path in [
        ("GET", f"/api/data/source/{source_id}"),
        ("GET", f"/api/data/source/{source_id}/preview"),
        ("GET", f"/api/data/source/{source_id}/profile"),
        ("GET", f"/api/data/source/{source_id}/semantics"),
        ("DELETE", f"/api/data/source/{source_id}"),
    ]:
        response = client.request(method, path, headers=intruder["headers"])
        assert response.status_code == 404, (method, path)
        assert response.json()["detail"] == f"No data source with id {source_id}."
    missing = client.get("/api/data/source/999999", headers=intruder["headers"])
    assert missing.status_code == 404 and missing.json()["detail"] == "No data source with id 999999."
    assert client.get("/api/data/sources", headers=intruder["headers"]).json() == {"items": [], "total": 0}
    assert client.get(f"/api/data/source/{source_id}", headers=owner["headers"]).status_code == 200
    assert len(stored_files(data_dir)) == 1


# --- database connections ------------------------------------------------------------------------


@pytest.fixture
def pg_schema(monkeypatch):
    monkeypatch.setenv("LUMIERE_ALLOW_PRIVATE_HOSTS", "true")
    reset_settings()
    schema = f"lumiere_api_{secrets.token_hex(4)}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, dbname="test", user="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema}"')
        cursor.execute(f'CREATE TABLE "{schema}".tips (total_bill numeric(6,2), tip numeric(6,2), day text)')
        cursor.execute(f'INSERT INTO "{schema}".tips VALUES (16.99, 1.01, \'Sun\'), (10.34, 1.66, \'Sun\'), '
                       "(21.01, 3.50, 'Sat')")
    yield schema
    with admin.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')
    admin.close()


def connection_body(schema: str, **changes) -> dict:
    return {"kind": "postgresql", "host": "127.0.0.1", "port": 5432, "database": "test", "user": "postgres",
            "password": "never-shown-7Q", "schema": schema, **changes}


def test_connect_test_then_save_a_postgres_source(client, make_user, pg_schema):
    user = make_user()
    tested = client.post("/api/data/connect/test", json=connection_body(pg_schema), headers=user["headers"])
    assert tested.status_code == 200, tested.text
    assert tested.json()["ok"] is True
    assert tested.json()["tables"] == [{
        "name": "tips", "row_count": 3,
        "columns": [{"name": "total_bill", "type": "numeric", "kind": "number"},
                    {"name": "tip", "type": "numeric", "kind": "number"},
                    {"name": "day", "type": "text", "kind": "text"}],
    }]
    saved = client.post("/api/data/connect", json={**connection_body(pg_schema), "name": "Shop DB"},
                        headers=user["headers"])
    assert saved.status_code == 201, saved.text
    body = saved.json()
    assert (body["kind"], body["name"], body["row_count"], body["column_count"]) == ("postgresql", "Shop DB", 3, 3)
    assert body["connection"] == {"host": "127.0.0.1", "port": 5432, "database": "test", "user": "postgres",
                                  "schema": pg_schema}
    assert "never-shown" not in saved.text
    with session_scope() as session:
        row = stored(session, Source, body["id"])
        assert row.password_encrypted and "never-shown" not in row.password_encrypted
        assert decrypt_secret(row.password_encrypted) == "never-shown-7Q"
    detail = client.get(f"/api/data/source/{body['id']}", headers=user["headers"])
    assert "never-shown" not in detail.text and detail.json()["tables"][0]["name"] == "tips"

    preview = client.get(f"/api/data/source/{body['id']}/preview?limit=2", headers=user["headers"]).json()
    assert preview["total"] == 3 and preview["rows"] == [[16.99, 1.01, "Sun"], [10.34, 1.66, "Sun"]]
    profile = client.get(f"/api/data/source/{body['id']}/profile", headers=user["headers"]).json()
    columns = {c["name"]: c for c in profile["tables"][0]["columns"]}
    assert columns["day"]["top_values"] == [{"value": "Sun", "count": 2}, {"value": "Sat", "count": 1}]
    assert columns["tip"]["max"] == 3.5 and columns["total_bill"]["distinct_count"] == 3

    assert client.delete(f"/api/data/source/{body['id']}", headers=user["headers"]).status_code == 204


def test_connection_failures_are_400_with_a_reason(client, make_user, pg_schema, monkeypatch):
    user = make_user()
    wrong_db = client.post("/api/data/connect/test", json=connection_body(pg_schema, database="nope_x1"),
                           headers=user["headers"])
    assert wrong_db.status_code == 400
    assert wrong_db.json()["detail"] == "The database server has no database named 'nope_x1'."
    empty_schema = client.post("/api/data/connect", json=connection_body("no_such_schema_q"), headers=user["headers"])
    assert empty_schema.status_code == 400 and "no tables or views" in empty_schema.json()["detail"]
    bad_kind = client.post("/api/data/connect/test", json=connection_body(pg_schema, kind="oracle"),
                           headers=user["headers"])
    assert bad_kind.status_code == 400 and "kind" in bad_kind.json()["detail"]
    bad_port = client.post("/api/data/connect/test", json=connection_body(pg_schema, port=70000),
                           headers=user["headers"])
    assert bad_port.status_code == 400 and "port" in bad_port.json()["detail"]

    monkeypatch.setenv("LUMIERE_ALLOW_PRIVATE_HOSTS", "false")
    reset_settings()
    private = client.post("/api/data/connect", json=connection_body(pg_schema), headers=user["headers"])
    assert private.status_code == 400 and "not allowed" in private.json()["detail"]
    assert source_rows() == []
    assert client.post("/api/data/connect/test", json=connection_body(pg_schema)).status_code == 401


@pytest.fixture
def mysql_database(monkeypatch):
    monkeypatch.setenv("LUMIERE_ALLOW_PRIVATE_HOSTS", "true")
    reset_settings()
    database = f"lumiere_api_{secrets.token_hex(4)}"
    admin = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", autocommit=True)
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{database}`")
        cursor.execute(f"CREATE TABLE `{database}`.cities (name varchar(40), country varchar(40), people int)")
        cursor.execute(f"CREATE TABLE `{database}`.`empty table` (x int)")
        cursor.execute(f"INSERT INTO `{database}`.cities VALUES ('Lyon', 'France', 522250), "
                       "('Nice', 'France', 342669), ('Porto', 'Portugal', 231800)")
    yield database
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE `{database}`")
    admin.close()


def test_connect_a_mariadb_source_and_read_each_table(client, make_user, mysql_database):
    user = make_user()
    body = {"kind": "mysql", "host": "127.0.0.1", "port": 3306, "database": mysql_database, "user": "root",
            "password": ""}
    saved = client.post("/api/data/connect", json=body, headers=user["headers"])
    assert saved.status_code == 201, saved.text
    source = saved.json()
    assert source["kind"] == "mysql" and source["name"] == f"{mysql_database} (MySQL)"
    assert [(t["name"], t["row_count"]) for t in source["tables"]] == [("cities", 3), ("empty table", 0)]
    assert source["tables"][0]["columns"][2] == {"name": "people", "type": "INT(11)", "kind": "integer"}
    preview = client.get(f"/api/data/source/{source['id']}/preview?table=cities&limit=2&offset=1",
                         headers=user["headers"]).json()
    assert preview["total"] == 3 and len(preview["rows"]) == 2
    empty = client.get(f"/api/data/source/{source['id']}/preview?table=empty%20table", headers=user["headers"])
    assert empty.status_code == 200 and empty.json()["rows"] == [] and empty.json()["total"] == 0
    missing = client.get(f"/api/data/source/{source['id']}/preview?table=nope", headers=user["headers"])
    assert missing.status_code == 404
    profile = client.get(f"/api/data/source/{source['id']}/profile", headers=user["headers"]).json()
    cities = profile["tables"][0]
    country = next(c for c in cities["columns"] if c["name"] == "country")
    assert country["top_values"] == [{"value": "France", "count": 2}, {"value": "Portugal", "count": 1}]
    people = next(c for c in cities["columns"] if c["name"] == "people")
    assert (people["min"], people["max"]) == (231800, 522250)


def test_money_and_percent_columns_upload_as_numbers_with_their_units(client, make_user):
    """A finance export: amounts in dollars, accounting negatives, a percent column; its numbers
    are numbers over HTTP, with the unit in the details and a note naming the columns."""
    text = ("Invoice,Region,Amount,Discount,Adjustment\n"
            'INV-001,West,"$1,234.50",12 %,"(1,200.00)"\n'
            "INV-002,East,$980.00,5 %,-3.00\n"
            'INV-003,West,"$12,000.00",,"1,200.00"\n'
            "INV-004,North,$75.99,0 %,0.00\n")
    user = make_user()
    response = upload(client, user, text.encode(), "invoices.csv")
    assert response.status_code == 201, response.text
    source = response.json()
    columns = {column["name"]: (column["type"], column["kind"]) for column in source["tables"][0]["columns"]}
    assert columns == {"Invoice": ("VARCHAR", "text"), "Region": ("VARCHAR", "text"), "Amount": ("DOUBLE", "number"),
                       "Discount": ("BIGINT", "integer"), "Adjustment": ("DOUBLE", "number")}
    detail = client.get(f"/api/data/source/{source['id']}", headers=user["headers"]).json()
    assert detail["details"]["units"] == {"Amount": "$", "Discount": "%"}
    notes = detail["details"]["notes"]
    assert any(note.startswith("Column 'Amount' was read as amounts in $") for note in notes)
    assert any(note.startswith("Column 'Discount' was read as percentages") for note in notes)
    # The word-to-value index was built at ingest, over the text columns.
    assert detail["details"]["value_index"]["indexed_columns"] == ["Invoice", "Region"]
    assert detail["details"]["value_index"]["values"] == 7
    preview = client.get(f"/api/data/source/{source['id']}/preview?limit=10", headers=user["headers"]).json()
    assert preview["rows"] == [
        ["INV-001", "West", 1234.5, 12, -1200.0], ["INV-002", "East", 980.0, 5, -3.0],
        ["INV-003", "West", 12000.0, None, 1200.0], ["INV-004", "North", 75.99, 0, 0.0],
    ]


# --- what a newcomer tripped over ----------------------------------------------------------------


def test_a_prose_text_file_is_refused_as_not_a_table(client, make_user, data_dir):
    user = make_user()
    prose = (
        b"Dear team, thank you all for the lovely evening last week at the restaurant.\n"
        b"I will send the photos to everyone once I have sorted them out properly.\n"
    )
    response = upload(client, user, prose, filename="note.txt")
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith("This file doesn't look like a table")
    assert stored_files(data_dir) == [] and source_rows() == []


def test_the_list_shows_the_uploaded_file_size(client, make_user):
    user = make_user()
    small = b"city,people\nParis,2100000\nLyon,520000\n"
    source = upload(client, user, small, filename="cities.csv").json()
    assert source["file_bytes"] == len(small)
    listed = client.get("/api/data/sources", headers=user["headers"]).json()["items"][0]
    assert listed["file_bytes"] == len(small) and listed["size_bytes"] > len(small)


def test_two_uploads_of_one_name_are_numbered_and_a_rename_onto_a_taken_name_is_a_409(client, make_user):
    user = make_user()
    first = upload(client, user, TIPS, name="Tips").json()
    second = upload(client, user, TIPS, name="tips").json()
    assert (first["name"], second["name"]) == ("Tips", "tips (2)")
    response = client.patch(f"/api/data/source/{second['id']}", json={"name": "TIPS"}, headers=user["headers"])
    assert response.status_code == 409 and "already" in response.json()["detail"], response.text
    other = make_user()
    assert upload(client, other, TIPS, name="Tips").json()["name"] == "Tips"  # names are per owner
