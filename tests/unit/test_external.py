"""External databases against the real PostgreSQL and MariaDB on this machine: which hosts may be
reached, describing a schema, read-only execution with a timeout, and errors that leak nothing."""

from __future__ import annotations

import secrets
import time

import psycopg2
import pymysql
import pytest

from lumiere.config import reset_settings
from lumiere.models import Source
from lumiere.services.crypto import encrypt_secret
from lumiere.services.errors import BadRequest, Timeout
from lumiere.storage.external import ExternalParams, check_host_allowed, describe, params_for, run_readonly

PG_DSN = {"host": "127.0.0.1", "port": 5432, "dbname": "test", "user": "postgres"}
MYSQL_DSN = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}


@pytest.fixture()
def allow_private(monkeypatch):
    monkeypatch.setenv("LUMIERE_ALLOW_PRIVATE_HOSTS", "true")
    reset_settings()
    yield
    reset_settings()


@pytest.fixture()
def deny_private(monkeypatch):
    monkeypatch.setenv("LUMIERE_ALLOW_PRIVATE_HOSTS", "false")
    reset_settings()
    yield
    reset_settings()


@pytest.fixture()
def pg_schema(allow_private):
    schema = f"lumiere_ext_{secrets.token_hex(4)}"
    admin = psycopg2.connect(**PG_DSN)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema}"')
        cursor.execute(
            f'CREATE TABLE "{schema}".orders (id serial PRIMARY KEY, customer text, amount numeric(10,2), '
            "ordered_on date, created_at timestamptz, paid boolean, notes jsonb)"
        )
        cursor.execute(
            f'INSERT INTO "{schema}".orders (customer, amount, ordered_on, created_at, paid, notes) VALUES '
            "('Ana', 12.50, '2024-01-05', '2024-01-05 10:00:00+00', true, '{\"gift\": true}'),"
            "('Bo', 7.25, '2024-02-10', '2024-02-10 11:30:00+00', false, NULL),"
            "('Ana', 30.00, '2024-03-15', '2024-03-15 09:15:00+00', true, '[]')"
        )
        cursor.execute(f'CREATE TABLE "{schema}"."Line Items" ("Order Id" int, qty int)')
    params = ExternalParams(kind="postgresql", host="127.0.0.1", port=5432, database="test", user="postgres",
                            password="pg-secret-Z9", schema=schema)
    yield params
    with admin.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')
    admin.close()


@pytest.fixture()
def mysql_database(allow_private):
    database = f"lumiere_ext_{secrets.token_hex(4)}"
    admin = pymysql.connect(**MYSQL_DSN, autocommit=True)
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{database}`")
        cursor.execute(
            f"CREATE TABLE `{database}`.orders (id int AUTO_INCREMENT PRIMARY KEY, customer varchar(50), "
            "amount decimal(10,2), ordered_on date, created_at datetime, paid tinyint(1))"
        )
        cursor.execute(
            f"INSERT INTO `{database}`.orders (customer, amount, ordered_on, created_at, paid) VALUES "
            "('Ana', 12.50, '2024-01-05', '2024-01-05 10:00:00', 1), ('Bo', 7.25, '2024-02-10', "
            "'2024-02-10 11:30:00', 0), ('Ana', 30.00, '2024-03-15', '2024-03-15 09:15:00', 1)"
        )
    params = ExternalParams(kind="mysql", host="127.0.0.1", port=3306, database=database, user="root", password="")
    yield params
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE `{database}`")
    admin.close()


# --- hosts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "10.1.2.3", "172.16.0.1", "192.168.0.10", "169.254.169.254", "::1", "[::1]",
     "fe80::1", "::ffff:10.0.0.1", "0.0.0.0", "100.64.0.1", "fc00::1"],
)
def test_private_loopback_and_link_local_hosts_are_refused(deny_private, host):
    with pytest.raises(BadRequest) as caught:
        check_host_allowed(host)
    assert "not allowed" in caught.value.detail


@pytest.mark.parametrize("host", ["8.8.8.8", "2001:4860:4860::8888", "1.1.1.1"])
def test_public_addresses_pass(deny_private, host):
    check_host_allowed(host)


def test_unknown_and_malformed_hosts(deny_private):
    with pytest.raises(BadRequest, match="could not be resolved"):
        check_host_allowed("no-such-host.invalid")
    with pytest.raises(BadRequest, match="host name or IP"):
        check_host_allowed("bad host\n")


def test_the_operator_may_allow_private_hosts(allow_private):
    check_host_allowed("127.0.0.1")
    check_host_allowed("localhost")


def test_a_refused_host_is_refused_before_connecting(deny_private):
    params = ExternalParams(kind="postgresql", host="127.0.0.1", port=5432, database="test", user="postgres",
                            password="")
    with pytest.raises(BadRequest, match="not allowed"):
        run_readonly(params, "SELECT 1", timeout_s=5, max_rows=10)
    with pytest.raises(BadRequest, match="not allowed"):
        describe(params)


# --- PostgreSQL ----------------------------------------------------------------------------------


def test_postgres_describe_lists_tables_columns_and_counts(pg_schema):
    tables = describe(pg_schema)
    assert [t["name"] for t in tables] == ["Line Items", "orders"]
    orders = tables[1]
    assert orders["row_count"] == 3 and tables[0]["row_count"] == 0
    assert [(c["name"], c["type"]) for c in orders["columns"]] == [
        ("id", "integer"), ("customer", "text"), ("amount", "numeric"), ("ordered_on", "date"),
        ("created_at", "timestamp with time zone"), ("paid", "boolean"), ("notes", "jsonb"),
    ]


def test_postgres_rows_come_back_json_safe(pg_schema):
    columns, rows, more = run_readonly(
        pg_schema, "SELECT customer, amount, ordered_on, created_at, paid, notes FROM orders ORDER BY id",
        timeout_s=5, max_rows=10,
    )
    assert more is False
    assert [(c.name, c.kind) for c in columns] == [
        ("customer", "text"), ("amount", "number"), ("ordered_on", "date"), ("created_at", "datetime"),
        ("paid", "boolean"), ("notes", "other"),
    ]
    assert rows[0] == ["Ana", 12.5, "2024-01-05", "2024-01-05T10:00:00+00:00", True, {"gift": True}]
    assert rows[1][5] is None and rows[2][5] == []


def test_postgres_row_cap_reports_more(pg_schema):
    _, rows, more = run_readonly(pg_schema, "SELECT id FROM orders ORDER BY id", timeout_s=5, max_rows=2)
    assert rows == [[1], [2]] and more is True


def test_postgres_writes_fail_inside_the_read_only_transaction(pg_schema):
    for statement in (
        "INSERT INTO orders (customer) VALUES ('Mallory')",
        "UPDATE orders SET amount = 0",
        'CREATE TABLE "pwned" (x int)',
    ):
        with pytest.raises(BadRequest):
            run_readonly(pg_schema, statement, timeout_s=5, max_rows=10)
    with pytest.raises(BadRequest, match="read-only transaction"):  # a SELECT that writes
        run_readonly(pg_schema, "SELECT nextval('orders_id_seq')", timeout_s=5, max_rows=10)
    _, rows, _ = run_readonly(pg_schema, "SELECT count(*), sum(amount) FROM orders", timeout_s=5, max_rows=1)
    assert rows == [[3, 49.75]]


def test_postgres_statement_timeout(pg_schema):
    started = time.monotonic()
    with pytest.raises(Timeout) as caught:
        run_readonly(pg_schema, "SELECT pg_sleep(5)", timeout_s=0.5, max_rows=1)
    assert time.monotonic() - started < 3
    assert caught.value.status_code == 408


def test_postgres_errors_name_neither_host_nor_password(pg_schema):
    with pytest.raises(BadRequest) as caught:
        run_readonly(pg_schema, "SELECT no_such_column FROM orders", timeout_s=5, max_rows=1)
    assert "no_such_column" in caught.value.detail
    assert "127.0.0.1" not in caught.value.detail and pg_schema.password not in caught.value.detail
    missing = ExternalParams(kind="postgresql", host="127.0.0.1", port=5432, database="no_such_db_x",
                             user="postgres", password="pg-secret-Z9")
    with pytest.raises(BadRequest) as caught:
        describe(missing)
    assert caught.value.detail == "The database server has no database named 'no_such_db_x'."
    closed = ExternalParams(kind="postgresql", host="127.0.0.1", port=1, database="test", user="postgres",
                            password="pg-secret-Z9")
    with pytest.raises(BadRequest) as caught:
        describe(closed)
    assert "127.0.0.1" not in caught.value.detail and "pg-secret" not in caught.value.detail


# --- MariaDB -------------------------------------------------------------------------------------


def test_mysql_describe_and_rows(mysql_database):
    [orders] = describe(mysql_database)
    assert orders["name"] == "orders" and orders["row_count"] == 3
    assert [(c["name"], c["type"]) for c in orders["columns"]] == [
        ("id", "INT(11)"), ("customer", "VARCHAR(50)"), ("amount", "DECIMAL(10,2)"), ("ordered_on", "DATE"),
        ("created_at", "DATETIME"), ("paid", "TINYINT(1)"),
    ]
    columns, rows, more = run_readonly(
        mysql_database, "SELECT customer, amount, ordered_on, created_at, paid FROM orders ORDER BY id",
        timeout_s=5, max_rows=2,
    )
    assert more is True
    assert [c.kind for c in columns] == ["text", "number", "date", "datetime", "integer"]
    assert rows == [["Ana", 12.5, "2024-01-05", "2024-01-05T10:00:00", 1],
                    ["Bo", 7.25, "2024-02-10", "2024-02-10T11:30:00", 0]]


def test_mysql_writes_fail_inside_the_read_only_transaction(mysql_database):
    with pytest.raises(BadRequest, match="READ ONLY"):
        run_readonly(mysql_database, "INSERT INTO orders (customer) VALUES ('Mallory')", timeout_s=5, max_rows=1)
    _, rows, _ = run_readonly(mysql_database, "SELECT COUNT(*) FROM orders", timeout_s=5, max_rows=1)
    assert rows == [[3]]


def test_mysql_statement_timeout(mysql_database):
    started = time.monotonic()
    with pytest.raises(Timeout):
        run_readonly(mysql_database, "SELECT COUNT(*) FROM seq_1_to_100000 a, seq_1_to_100000 b",
                     timeout_s=0.5, max_rows=1)
    assert time.monotonic() - started < 4


def test_mysql_wrong_password_is_named_without_echoing_it(mysql_database):
    wrong = ExternalParams(kind="mysql", host="127.0.0.1", port=3306, database=mysql_database.database,
                           user="root", password="not-the-password-42")
    with pytest.raises(BadRequest) as caught:
        describe(wrong)
    assert caught.value.detail == "The database refused the user name or password."


# --- stored parameters ---------------------------------------------------------------------------


def test_params_for_decrypts_the_stored_password():
    source = Source(
        user_id=1, name="db", kind="postgresql",
        connection_json={"host": "db.example.com", "port": 5433, "database": "sales", "user": "analyst",
                         "schema": None},
        password_encrypted=encrypt_secret("s3cr3t!"),
    )
    params = params_for(source)
    assert params == ExternalParams(kind="postgresql", host="db.example.com", port=5433, database="sales",
                                    user="analyst", password="s3cr3t!", schema=None)
    assert params.effective_schema == "public"
    assert "s3cr3t" not in repr(params)
