"""External databases against the real PostgreSQL and MariaDB on this machine: which hosts may be
reached, describing a schema, read-only execution with a timeout, and errors that leak nothing."""

from __future__ import annotations

import gc
import os
import secrets
import signal
import socket
import threading
import time

import psycopg2
import pymysql
import pytest

from lumiere.config import reset_settings
from lumiere.core.errors import BadRequest, Timeout
from lumiere.models import Source
from lumiere.services.sqlguard import SqlRefused, guard_sql
from lumiere.storage.crypto import encrypt_secret
from lumiere.storage.external import (
    ExternalParams,
    check_host_allowed,
    describe,
    params_for,
    resolve_allowed_address,
    run_readonly,
)

PG_DSN = {"host": "127.0.0.1", "port": 5432, "dbname": "test", "user": "postgres"}
MYSQL_DSN = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}


@pytest.fixture
def allow_private(monkeypatch):
    monkeypatch.setenv("LUMIERE_ALLOW_PRIVATE_HOSTS", "true")
    reset_settings()
    yield
    reset_settings()


@pytest.fixture
def deny_private(monkeypatch):
    monkeypatch.setenv("LUMIERE_ALLOW_PRIVATE_HOSTS", "false")
    reset_settings()
    yield
    reset_settings()


@pytest.fixture
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


@pytest.fixture
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
     "fe80::1", "::ffff:10.0.0.1", "0.0.0.0", "100.64.0.1", "fc00::1", "192.0.0.9", "64:ff9b::7f00:1"],
)
def test_private_loopback_and_link_local_hosts_are_refused(deny_private, host):
    with pytest.raises(BadRequest) as caught:
        check_host_allowed(host)
    assert "not allowed" in caught.value.detail and "LUMIERE_ALLOW_PRIVATE_HOSTS" in caught.value.detail


@pytest.mark.parametrize("host", ["8.8.8.8", "2001:4860:4860::8888", "1.1.1.1"])
def test_public_addresses_pass(deny_private, host):
    check_host_allowed(host)


def resolver(table: dict[str, list[str]]):
    """A resolver answering from `table`, so no test asks a DNS server about a public name."""

    def resolve(name: str) -> list[str]:
        if name not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[name]

    return resolve


def test_every_address_a_name_resolves_to_must_pass(deny_private):
    names = resolver({"db.example.com": ["8.8.8.8", "2001:4860:4860::8888"],
                      "rebind.example.com": ["8.8.8.8", "127.0.0.1"],
                      "nat64.example.com": ["64:ff9b::a00:5"]})
    assert resolve_allowed_address("db.example.com", names) == "8.8.8.8"
    with pytest.raises(BadRequest, match=r"'rebind.example.com' are not allowed.*loopback"):
        resolve_allowed_address("rebind.example.com", names)
    with pytest.raises(BadRequest, match=r"private \(10.0.0.0/8\): 10.0.0.5 carried as NAT64"):
        resolve_allowed_address("nat64.example.com", names)


def test_localhost_resolves_locally_and_is_refused(deny_private):
    with pytest.raises(BadRequest, match="loopback"):
        resolve_allowed_address("localhost")


def test_unknown_and_malformed_hosts(deny_private):
    with pytest.raises(BadRequest, match="could not be resolved"):
        check_host_allowed("no-such-host.example.com", resolver({}))
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


# Statements that must change nothing even when they reach the server without the guard: the
# READ ONLY transaction refuses them, or PostgreSQL refuses to open them as the one query.
PG_REFUSED_PAST_THE_GUARD = [
    'CREATE TABLE "{made}" (a int)',
    'CREATE TEMP TABLE "{made}" (a int)',
    'SELECT 1 AS a INTO TEMP "{made}"',
    "SET ROLE postgres",
    "SET SESSION AUTHORIZATION postgres",
    "COPY orders TO STDOUT",
    "COPY orders FROM STDIN",
    "CREATE EXTENSION dblink",
    "ALTER SYSTEM SET work_mem = '5MB'",
    "COMMIT",
    'SELECT 1; CREATE TABLE "{made}" (a int)',
    'SELECT 1; COMMIT; CREATE TABLE "{made}" (a int)',
    'SELECT 1; SET default_transaction_read_only = off; COMMIT; CREATE TABLE "{made}" (a int)',
    "SELECT 1; COMMIT; SELECT pg_sleep(5)",
]


@pytest.mark.parametrize("statement", PG_REFUSED_PAST_THE_GUARD)
def test_postgres_session_runs_one_query_and_only_reads(pg_schema, statement):
    made = f"made_{secrets.token_hex(3)}"
    started = time.monotonic()
    with pytest.raises(BadRequest):
        run_readonly(pg_schema, statement.format(made=made), timeout_s=5, max_rows=10)
    assert time.monotonic() - started < 2
    with psycopg2.connect(**PG_DSN) as admin, admin.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname = %s", (made,))
        assert cursor.fetchone() == (0,)
        cursor.execute("SHOW work_mem")
        assert cursor.fetchone() != ("5MB",)
    admin.close()


def test_postgres_queries_of_every_shape_still_run(pg_schema):
    shapes = {
        "WITH paid AS (SELECT amount FROM orders WHERE paid) SELECT sum(amount) FROM paid": [[42.5]],
        "SELECT customer FROM orders WHERE customer = 'Bo' UNION SELECT 'it''s'": None,
        "VALUES (1, 'x'), (2, 'y')": [[1, "x"], [2, "y"]],
        "TABLE \"Line Items\"": [],
        "SELECT E'back\\\\slash', $q$dollar 'quoted'$q$": [["back\\slash", "dollar 'quoted'"]],
    }
    for sql, expected in shapes.items():
        _, rows, more = run_readonly(pg_schema, sql, timeout_s=5, max_rows=10)
        assert more is False
        if expected is not None:
            assert rows == expected, sql
        else:
            assert sorted(rows) == [["Bo"], ["it's"]]


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


# Statements that commit implicitly (DDL) or write: with the session read-only, the transaction
# that follows the implicit commit is read-only too, so MariaDB refuses them (error 1792).
MYSQL_REFUSED_BY_THE_SESSION = [
    "CREATE TABLE `{made}` (a INT)",
    "CREATE TEMPORARY TABLE `{made}` (a INT)",
    "CREATE TEMPORARY TABLE `{made}` AS SELECT 1 AS a",
    "CREATE TABLE `{made}` AS SELECT * FROM orders",
    "CREATE DATABASE `{made}`",
    "CREATE USER `{made}`",
    "DROP TABLE orders",
    "RENAME TABLE orders TO `{made}`",
    "TRUNCATE TABLE orders",
    "ALTER TABLE orders ADD COLUMN `{made}` INT",
    "LOCK TABLES orders WRITE",
    "LOAD DATA INFILE '/etc/hostname' INTO TABLE orders",
    "CALL `{database}`.add_order()",
    "PREPARE made FROM 'CREATE TABLE `{made}` (a INT)'",
    "OPTIMIZE TABLE orders",
]
# What a read-only transaction cannot stop (server-wide settings, files written by the server,
# other sessions); the guard refuses every one of them before a connection is opened.
MYSQL_STOPPED_BY_THE_GUARD_ONLY = [
    "SET GLOBAL max_connections = 10",
    "SELECT customer FROM orders INTO OUTFILE '/tmp/lumiere_outfile.txt'",
    "SELECT 1 INTO DUMPFILE '/tmp/lumiere_dumpfile.txt'",
    "KILL 1",
    "FLUSH TABLES",
    "HANDLER orders OPEN",
    "SELECT GET_LOCK('lumiere', 1) FROM orders",
    "ANALYZE TABLE orders",
    "DO SLEEP(3)",
]


@pytest.fixture
def mysql_writer(mysql_database):
    """A stored procedure that inserts an order when called."""
    admin = pymysql.connect(**MYSQL_DSN, database=mysql_database.database, autocommit=True)
    with admin.cursor() as cursor:
        cursor.execute("CREATE PROCEDURE add_order() BEGIN INSERT INTO orders (customer) VALUES ('Mallory'); END")
    admin.close()
    return mysql_database


@pytest.mark.parametrize("statement", MYSQL_REFUSED_BY_THE_SESSION)
def test_mysql_ddl_and_writes_fail_in_the_read_only_session(mysql_writer, statement):
    made = f"made_{secrets.token_hex(3)}"
    database = mysql_writer.database
    with pytest.raises(BadRequest, match="READ ONLY"):
        run_readonly(mysql_writer, statement.format(made=made, database=database), timeout_s=5, max_rows=10)
    admin = pymysql.connect(**MYSQL_DSN, autocommit=True)
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = %s", (made,))
            made_tables = cursor.fetchone()[0]
            cursor.execute("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = %s", (made,))
            made_databases = cursor.fetchone()[0]
            cursor.execute("SELECT COUNT(*) FROM mysql.user WHERE user = %s", (made,))
            made_users = cursor.fetchone()[0]
            cursor.execute(f"SELECT COUNT(*) FROM `{database}`.orders")
            orders = cursor.fetchone()[0]
            cursor.execute("SELECT COUNT(*) FROM information_schema.columns WHERE column_name = %s", (made,))
            made_columns = cursor.fetchone()[0]
    finally:
        with admin.cursor() as cursor:  # undo whatever got through, so a failure stays local
            cursor.execute(f"DROP DATABASE IF EXISTS `{made}`")
            cursor.execute(f"DROP USER IF EXISTS `{made}`")
        admin.close()
    assert (made_tables, made_databases, made_users, made_columns, orders) == (0, 0, 0, 0, 3)


# PostgreSQL's counterparts: effects outside the transaction (dblink opens a second, writable
# session; signals to other backends; server files and settings).
PG_STOPPED_BY_THE_GUARD_ONLY = [
    "SELECT dblink_exec('dbname=test', 'CREATE TABLE made (a int)')",
    "SELECT * FROM dblink('dbname=test', 'SELECT pg_sleep(60)') AS t(x text)",
    "SELECT pg_terminate_backend(1) FROM orders",
    "SELECT pg_read_file('/etc/hostname')",
    "SELECT set_config('default_transaction_read_only', 'off', false)",
    "SELECT pg_reload_conf()",
    "SELECT lo_import('/etc/hostname')",
]


@pytest.mark.parametrize(
    ("dialect", "statement"),
    [("mysql", statement) for statement in MYSQL_STOPPED_BY_THE_GUARD_ONLY]
    + [("postgres", statement) for statement in PG_STOPPED_BY_THE_GUARD_ONLY],
)
def test_what_a_read_only_session_cannot_stop_the_guard_refuses(dialect, statement):
    with pytest.raises(SqlRefused):
        guard_sql(statement, dialect=dialect, allowed_tables=["orders"], row_cap=10)


def test_mysql_sleep_without_a_result_is_bounded_by_the_statement_time(mysql_database):
    started = time.monotonic()
    columns, rows, more = run_readonly(mysql_database, "DO SLEEP(3)", timeout_s=0.5, max_rows=1)
    assert time.monotonic() - started < 2
    assert (columns, rows, more) == ([], [], False)


def test_mysql_sends_one_statement_only(mysql_database):
    with pytest.raises(BadRequest, match="syntax"):
        run_readonly(mysql_database, "SELECT 1; CREATE TABLE made_here (a INT)", timeout_s=5, max_rows=1)


def test_mysql_statement_timeout(mysql_database):
    started = time.monotonic()
    with pytest.raises(Timeout):
        run_readonly(mysql_database, "SELECT COUNT(*) FROM seq_1_to_100000 a, seq_1_to_100000 b",
                     timeout_s=0.5, max_rows=1)
    assert time.monotonic() - started < 4


class Interrupted(Exception):
    """Raised by a signal handler in the middle of a query, as a shutdown or a cancel would."""


@pytest.fixture
def opened_connections(monkeypatch):
    """Every real connection storage.external opens during the test."""
    opened: list = []
    for module in (pymysql, psycopg2):
        real_connect = module.connect

        def recording_connect(*args, _real=real_connect, **kwargs):
            connection = _real(*args, **kwargs)
            opened.append(connection)
            return connection

        monkeypatch.setattr(module, "connect", recording_connect)
    return opened


def _kill_when_running(marker: str) -> None:
    """Kill, from another session, the MariaDB connection running the query that contains `marker`."""
    admin = pymysql.connections.Connection(**MYSQL_DSN, autocommit=True)  # not one of the recorded ones
    try:
        with admin.cursor() as cursor:
            for _ in range(200):
                cursor.execute("SELECT id FROM information_schema.processlist WHERE info LIKE %s AND id <> "
                               "CONNECTION_ID()", (f"%{marker}%",))
                found = cursor.fetchone()
                if found:
                    cursor.execute(f"KILL CONNECTION {int(found[0])}")
                    return
                time.sleep(0.02)
    finally:
        admin.close()


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning", "error::ResourceWarning")
def test_mysql_connections_are_closed_on_every_path(mysql_database, opened_connections):
    """Success, a database error, an error halfway through the rows, the server's timeout, a killed
    connection and an interruption all leave the connection closed at once, not for the garbage
    collector (which would otherwise report half-read results at some later, random moment)."""
    mid_stream_error = "SELECT seq, IF(seq > 500, (SELECT 1 UNION SELECT 2), seq) FROM seq_1_to_1000"
    paths = [
        ("SELECT customer FROM orders", 10, None),
        ("SELECT no_such_column FROM orders", 10, BadRequest),
        (mid_stream_error, 2000, BadRequest),
        ("SELECT COUNT(*) FROM seq_1_to_100000 a, seq_1_to_100000 b", 1, Timeout),
    ]
    for sql, max_rows, error in paths:
        if error is None:
            run_readonly(mysql_database, sql, timeout_s=0.5, max_rows=max_rows)
        else:
            with pytest.raises(error):
                run_readonly(mysql_database, sql, timeout_s=0.5, max_rows=max_rows)
        assert opened_connections and not opened_connections[-1].open, sql

    marker = f"killed_{secrets.token_hex(4)}"
    killer = threading.Thread(target=_kill_when_running, args=(marker,))
    killer.start()
    with pytest.raises(Timeout):
        run_readonly(mysql_database, f"SELECT SLEEP(3) AS {marker}", timeout_s=5, max_rows=1)
    killer.join()
    assert not opened_connections[-1].open

    def interrupt(signum, frame):
        raise Interrupted

    previous = signal.signal(signal.SIGUSR1, interrupt)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGUSR1))
    try:
        timer.start()
        with pytest.raises(Interrupted):
            run_readonly(mysql_database, "SELECT seq, SLEEP(0.001) FROM seq_1_to_100000", timeout_s=5, max_rows=200000)
    finally:
        timer.join()
        signal.signal(signal.SIGUSR1, previous)
    assert len(opened_connections) == len(paths) + 2
    assert not any(connection.open for connection in opened_connections)
    gc.collect()  # anything left to a finaliser would surface here, inside this test


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning", "error::ResourceWarning")
def test_postgres_connections_are_closed_on_every_path(pg_schema, opened_connections):
    for sql, error in [("SELECT customer FROM orders", None), ("SELECT no_such_column FROM orders", BadRequest),
                       ("SELECT g, 1 / (g - 500) FROM generate_series(1, 1000) g", BadRequest),
                       ("SELECT pg_sleep(3)", Timeout)]:
        if error is None:
            run_readonly(pg_schema, sql, timeout_s=0.5, max_rows=2000)
        else:
            with pytest.raises(error):
                run_readonly(pg_schema, sql, timeout_s=0.5, max_rows=2000)
        assert opened_connections and opened_connections[-1].closed, sql
    gc.collect()


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
