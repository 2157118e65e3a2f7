"""Guarded queries on users' own PostgreSQL and MariaDB databases (the real servers on this machine).

Each test module run creates its own small schema / tables and drops them at the end.
"""

from __future__ import annotations

import gc
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg2
import pymysql
import pytest

from lumiere.config import reset_settings
from lumiere.core.errors import BadRequest, QueryRejected, Timeout
from lumiere.models import Source
from lumiere.services import warehouse
from lumiere.services.sqlguard import SqlRefused
from lumiere.storage import external

SALES = [
    ("North", 120.50, "2024-01-05", 3),
    ("North", 80.00, "2024-02-11", 1),
    ("South", 200.25, "2024-01-20", 5),
    ("East", 99.99, "2024-03-02", 2),
    ("South", 10.00, "2024-03-15", 1),
]


@dataclass
class Backend:
    name: str  # postgres | mysql
    source: Source
    sales: str  # table names as the source lists them
    items: str
    numbers: str
    writer: str  # a function that writes when called from a SELECT
    other: str  # a table in the same database that the source does not list
    schema: str

    def drop_if_present(self, table: str) -> None:
        if self.name == "postgres":
            connection = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="test")
            with connection, connection.cursor() as cursor:
                cursor.execute(f'DROP TABLE IF EXISTS "{self.schema}"."{table}"')
            connection.close()
        else:
            connection = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", database="test")
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS `{table}`")
            connection.close()

    def count_sales(self) -> int:
        params = external.params_for(self.source)
        table = f'"{self.schema}"."{self.sales}"' if self.name == "postgres" else f"`{self.schema}`.`{self.sales}`"
        return external.run_readonly(params, f"SELECT COUNT(*) FROM {table}", timeout_s=5, max_rows=1)[1][0][0]


@pytest.fixture(autouse=True)
def private_hosts_allowed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("LUMIERE_ALLOW_PRIVATE_HOSTS", "true")
    reset_settings()
    yield
    reset_settings()
    # A MySQL result stream cut short by an error is finalised by the garbage collector; do it now,
    # not in the middle of whatever pytest runs next.
    gc.collect()


def _tables_json(sales: str, items: str, numbers: str, text_type: str, number_type: str) -> list[dict]:
    return [
        {"name": sales, "row_count": len(SALES), "columns": [
            {"name": "region", "type": text_type}, {"name": "amount", "type": number_type},
            {"name": "sold_on", "type": "date"}, {"name": "qty", "type": "integer"}]},
        {"name": items, "row_count": 3, "columns": [
            {"name": "id", "type": "integer"}, {"name": "Product Name", "type": text_type}]},
        {"name": numbers, "row_count": 3000, "columns": [{"name": "n", "type": "integer"}]},
    ]


@pytest.fixture(scope="module")
def postgres_backend() -> Iterator[Backend]:
    schema = f"wh_{secrets.token_hex(4)}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="test")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema}"')
        cursor.execute(f'CREATE TABLE "{schema}".sales (region text, amount numeric(10, 2), sold_on date, qty int)')
        cursor.executemany(f'INSERT INTO "{schema}".sales VALUES (%s, %s, %s, %s)', SALES)
        cursor.execute(f'CREATE TABLE "{schema}"."Line Items" (id int, "Product Name" text)')
        cursor.execute(f"INSERT INTO \"{schema}\".\"Line Items\" VALUES (1, 'Widget'), (2, 'Gadget'), (3, ' Gizmo ')")
        cursor.execute(f'CREATE TABLE "{schema}".numbers AS SELECT generate_series(1, 3000) AS n')
        cursor.execute(f'CREATE TABLE "{schema}".secret (token text)')
        cursor.execute(f"INSERT INTO \"{schema}\".secret VALUES ('do-not-read')")
        cursor.execute(
            f'CREATE FUNCTION "{schema}".write_row() RETURNS int LANGUAGE sql AS '
            f"$$ INSERT INTO \"{schema}\".sales VALUES ('Written', 1, '2024-01-01', 1); SELECT 1 $$"
        )
    source = Source(
        user_id=1, name="pg", kind="postgresql",
        connection_json={"host": "127.0.0.1", "port": 5432, "database": "test", "user": "postgres", "schema": schema},
        tables_json=_tables_json("sales", "Line Items", "numbers", "text", "numeric"),
    )
    try:
        yield Backend("postgres", source, "sales", "Line Items", "numbers", "write_row", "secret", schema)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


@pytest.fixture(scope="module")
def mysql_backend() -> Iterator[Backend]:
    prefix = f"wh{secrets.token_hex(4)}"
    sales, items, numbers, other, writer = (
        f"{prefix}_sales", f"{prefix} Line Items", f"{prefix}_numbers", f"{prefix}_secret", f"{prefix}_write"
    )
    admin = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", database="test", autocommit=True)
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE TABLE `{sales}` (region VARCHAR(20), amount DECIMAL(10, 2), sold_on DATE, qty INT)")
        cursor.executemany(f"INSERT INTO `{sales}` VALUES (%s, %s, %s, %s)", SALES)
        cursor.execute(f"CREATE TABLE `{items}` (id INT, `Product Name` VARCHAR(40))")
        cursor.execute(f"INSERT INTO `{items}` VALUES (1, 'Widget'), (2, 'Gadget'), (3, ' Gizmo ')")
        cursor.execute(f"CREATE TABLE `{numbers}` (n INT)")
        cursor.executemany(f"INSERT INTO `{numbers}` VALUES (%s)", [(value,) for value in range(1, 3001)])
        cursor.execute(f"CREATE TABLE `{other}` (token VARCHAR(20))")
        cursor.execute(f"INSERT INTO `{other}` VALUES ('do-not-read')")
        cursor.execute(
            f"CREATE FUNCTION `{writer}`() RETURNS INT MODIFIES SQL DATA "
            f"BEGIN INSERT INTO `{sales}` VALUES ('Written', 1, '2024-01-01', 1); RETURN 1; END"
        )
    source = Source(
        user_id=1, name="maria", kind="mysql",
        connection_json={"host": "127.0.0.1", "port": 3306, "database": "test", "user": "root"},
        tables_json=_tables_json(sales, items, numbers, "varchar(20)", "decimal(10,2)"),
    )
    try:
        yield Backend("mysql", source, sales, items, numbers, writer, other, "test")
    finally:
        with admin.cursor() as cursor:
            for table in (sales, items, numbers, other):
                cursor.execute(f"DROP TABLE IF EXISTS `{table}`")
            cursor.execute(f"DROP FUNCTION IF EXISTS `{writer}`")
        admin.close()


@pytest.fixture(params=["postgres", "mysql"])
def backend(request: pytest.FixtureRequest) -> Backend:
    return request.getfixturevalue(f"{request.param}_backend")


def q(backend: Backend, name: str) -> str:
    return f'"{name}"' if backend.name == "postgres" else f"`{name}`"


def test_aggregate_runs_on_the_source_with_kinds(backend):
    result = warehouse.execute(
        backend.source,
        "SELECT region, SUM(amount) AS total, COUNT(*) AS n, MIN(sold_on) AS first_sale "
        f"FROM {q(backend, backend.sales)} GROUP BY region ORDER BY total DESC",
    )
    assert result.rows == [
        ["South", 210.25, 2, "2024-01-20"], ["North", 200.5, 2, "2024-01-05"], ["East", 99.99, 1, "2024-03-02"]
    ]
    assert [column.kind for column in result.columns] == ["text", "number", "integer", "date"]
    assert result.row_count == 3 and not result.truncated
    # What ran is the re-rendered SQL, qualified with the source's schema.
    assert f"{q(backend, backend.schema)}.{q(backend, backend.sales)}" in result.sql


def test_truncation_counts_the_full_result(backend):
    result = warehouse.execute(backend.source, f"SELECT n FROM {q(backend, backend.numbers)} ORDER BY n", max_rows=7)
    assert result.rows == [[value] for value in range(1, 8)]
    assert result.truncated and result.row_count == 3000
    limited = warehouse.execute(backend.source, f"SELECT n FROM {q(backend, backend.numbers)} LIMIT 40", max_rows=7)
    assert limited.truncated and limited.row_count == 40


def test_names_with_spaces_and_dialect_syntax(backend):
    if backend.name == "postgres":
        sql = 'SELECT "Product Name" FROM "Line Items" ORDER BY id FETCH FIRST 1 ROWS ONLY'
    else:
        sql = f"SELECT `Product Name` FROM `{backend.items}` ORDER BY id LIMIT 1, 1"
    expected = [["Widget"]] if backend.name == "postgres" else [["Gadget"]]
    assert warehouse.execute(backend.source, sql).rows == expected


def test_runaway_query_is_stopped(backend):
    table = q(backend, backend.numbers)
    started = time.monotonic()
    with pytest.raises(Timeout) as caught:
        warehouse.execute(
            backend.source,
            f"SELECT COUNT(*) FROM {table} AS a, {table} AS b, {table} AS c WHERE a.n * b.n > c.n + 7",
            timeout_s=1,
        )
    assert caught.value.status_code == 408
    assert time.monotonic() - started < 10


def test_other_tables_and_schemas_are_refused_before_connecting(backend):
    with pytest.raises(SqlRefused, match="not one of your tables"):
        warehouse.execute(backend.source, f"SELECT * FROM {q(backend, backend.other)}")
    with pytest.raises(SqlRefused, match="system catalogs"):
        warehouse.execute(backend.source, "SELECT * FROM information_schema.tables")
    with pytest.raises(SqlRefused):
        warehouse.execute(backend.source, f"SELECT {q(backend, backend.writer)}() FROM {q(backend, backend.sales)}")


def test_writes_fail_in_the_read_only_transaction_even_past_the_guard(backend):
    """The low-level runner, given SQL the guard would refuse, still cannot change anything."""
    params = external.params_for(backend.source)
    schema, sales = q(backend, backend.schema), q(backend, backend.sales)
    before = backend.count_sales()
    attempts = [
        f"INSERT INTO {schema}.{sales} VALUES ('Written', 1, '2024-01-01', 1)",
        f"SELECT {schema}.{q(backend, backend.writer)}()",
        f"DELETE FROM {schema}.{sales}",
        f"UPDATE {schema}.{sales} SET qty = 0",
    ]
    for sql in attempts:
        with pytest.raises(BadRequest):
            external.run_readonly(params, sql, timeout_s=5, max_rows=10)
    assert backend.count_sales() == before == len(SALES)


def test_ddl_fails_in_the_read_only_session_even_past_the_guard(request, backend):
    params = external.params_for(backend.source)
    created = "created_" + secrets.token_hex(3)
    request.addfinalizer(lambda: backend.drop_if_present(created))
    with pytest.raises(BadRequest):
        external.run_readonly(
            params, f"CREATE TABLE {q(backend, backend.schema)}.{q(backend, created)} (a INT)", timeout_s=5, max_rows=1
        )


def test_find_values_on_an_external_source(backend):
    matches = warehouse.find_values(backend.source, ["south", "WIDGET", "nowhere", "2024-01-05"])
    assert {(match.table, match.column, match.value, match.phrase) for match in matches} == {
        (backend.sales, "region", "South", "south"), (backend.items, "Product Name", "Widget", "WIDGET"),
    }


def test_find_values_ignores_spaces_around_stored_values_on_an_external_source(backend):
    matches = warehouse.find_values(backend.source, ["GIZMO"])
    assert [(match.column, match.value, match.phrase) for match in matches] == [("Product Name", " Gizmo ", "GIZMO")]
    name = q(backend, "Product Name")
    rows = warehouse.execute(
        backend.source, f"SELECT id FROM {q(backend, backend.items)} WHERE {name} = ' Gizmo '"
    ).rows
    assert rows == [[3]]


def test_sql_the_database_rejects_is_told_apart_from_a_failing_connection(backend):
    """The ask flow treats a rejected statement as a misread question; a dead server is not one."""
    with pytest.raises(QueryRejected) as caught:
        warehouse.execute(backend.source, f"SELECT no_such_column FROM {q(backend, backend.sales)}")
    assert "no_such_column" in caught.value.detail
