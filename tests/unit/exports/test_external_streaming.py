"""warehouse.stream and CSV exports on the real PostgreSQL and MariaDB here: server-side cursors that
hand every row in batches, and an early exit that ends the query on the server at once."""

from __future__ import annotations

import io
import secrets
import time
from datetime import UTC, datetime

import pandas as pd
import plotly.data
import psycopg2
import pymysql
import pytest

from lumiere.config import reset_settings
from lumiere.core.enums import ExportFormat
from lumiere.models import Source
from lumiere.services import warehouse
from lumiere.services.exports import ExportSubject, write_export

PG_DSN = {"host": "127.0.0.1", "port": 5432, "dbname": "test", "user": "postgres"}
MYSQL_DSN = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}
TIPS = plotly.data.tips()
TIP_ROWS = [tuple(row) for row in TIPS.itertuples(index=False)]
NUMBERS = 1000  # `nums` holds 0..999; its self-join has a million rows


@pytest.fixture
def allow_private(monkeypatch):
    monkeypatch.setenv("LUMIERE_ALLOW_PRIVATE_HOSTS", "true")
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


def _source(kind: str, database: str, schema: str | None = None) -> Source:
    port, user = (5432, "postgres") if kind == "postgresql" else (3306, "root")
    tables = [{"name": "tips", "columns": [{"name": name, "type": "text"} for name in TIPS.columns]},
              {"name": "nums", "columns": [{"name": "n", "type": "integer"}]}]
    return Source(user_id=1, name=f"{kind} tips", kind=kind, tables_json=tables,
                  connection_json={"host": "127.0.0.1", "port": port, "database": database, "user": user,
                                   "schema": schema})


@pytest.fixture
def pg_source(allow_private):
    schema = f"lumiere_exp_{secrets.token_hex(4)}"
    admin = psycopg2.connect(**PG_DSN)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema}"')
        cursor.execute(f'CREATE TABLE "{schema}".tips (total_bill float8, tip float8, sex text, smoker text, '
                       'day text, time text, size int)')
        cursor.executemany(f'INSERT INTO "{schema}".tips VALUES (%s, %s, %s, %s, %s, %s, %s)', TIP_ROWS)
        cursor.execute(f'CREATE TABLE "{schema}".nums AS SELECT generate_series(0, {NUMBERS - 1}) AS n')
    yield _source("postgresql", "test", schema)
    with admin.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')
    admin.close()


@pytest.fixture
def mysql_source(allow_private):
    database = f"lumiere_exp_{secrets.token_hex(4)}"
    admin = pymysql.connect(**MYSQL_DSN, autocommit=True)
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{database}`")
        cursor.execute(f"CREATE TABLE `{database}`.tips (total_bill double, tip double, sex varchar(10), "
                       "smoker varchar(5), day varchar(5), time varchar(10), size int)")
        cursor.executemany(f"INSERT INTO `{database}`.tips VALUES (%s, %s, %s, %s, %s, %s, %s)", TIP_ROWS)
        cursor.execute(f"CREATE TABLE `{database}`.nums (n int)")
        cursor.execute(f"INSERT INTO `{database}`.nums WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL "
                       f"SELECT n + 1 FROM s WHERE n < {NUMBERS - 1}) SELECT n FROM s")
    yield _source("mysql", database)
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE `{database}`")
    admin.close()


@pytest.fixture(params=["postgresql", "mysql"])
def source(request) -> Source:
    return request.getfixturevalue("pg_source" if request.param == "postgresql" else "mysql_source")


def test_every_row_in_batches(source, monkeypatch) -> None:
    monkeypatch.setenv("LUMIERE_MAX_RESULT_ROWS", "10")
    reset_settings()
    with warehouse.stream(source, "SELECT * FROM tips", batch_rows=100) as stream:
        batches = list(stream.batches)
        assert [column.name for column in stream.columns] == list(TIPS.columns)
        assert [column.kind for column in stream.columns][:3] == ["number", "number", "text"]
    assert [len(batch) for batch in batches] == [100, 100, 44]
    assert sorted(tuple(row) for batch in batches for row in batch) == sorted(TIP_ROWS)


def test_csv_export_matches_pandas(source) -> None:
    subject = ExportSubject(title="tips", question="", source=source, sql="SELECT * FROM tips ORDER BY total_bill",
                            chart=None, ran_at=datetime.now(UTC))
    out = io.BytesIO()
    summary = write_export(subject, ExportFormat.CSV, out)
    back = pd.read_csv(io.BytesIO(out.getvalue()), encoding="utf-8-sig")
    assert summary.row_count == len(back) == len(TIPS)
    assert back["tip"].sum() == pytest.approx(TIPS["tip"].sum())
    assert back["total_bill"].is_monotonic_increasing


def test_a_million_rows_stream_and_leaving_early_is_quick(source) -> None:
    sql = "SELECT a.n AS a, b.n AS b FROM nums a CROSS JOIN nums b"
    started = time.monotonic()
    with warehouse.stream(source, sql, batch_rows=10_000) as stream:
        first = next(stream.batches)
    assert len(first) == 10_000
    assert time.monotonic() - started < 5  # the rest is neither read nor waited for
    count = 0
    with warehouse.stream(source, sql, batch_rows=50_000) as stream:
        for batch in stream.batches:
            count += len(batch)
    assert count == NUMBERS * NUMBERS
