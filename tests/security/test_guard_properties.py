"""Property tests for the SQL guard, checked against the databases themselves.

1. Generated SELECTs over allowed tables always pass, re-render to SQL that parses to the same
   tree, and return the same rows as the original on DuckDB.
2. Generated statements of forbidden kinds never pass.
3. Whatever passes reads only allowed tables: run on a DuckDB / PostgreSQL database that holds
   only the allowed table, a passed query never fails for a missing table (the database's own
   binder is the judge of which names are tables and which are CTEs).
"""

from __future__ import annotations

import json
import secrets
import threading

import duckdb
import plotly.data
import psycopg2
import pytest
import sqlglot
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from lumiere.services.sqlguard import SqlRefused, guard_sql
from lumiere.storage.plan_check import foreign_reads

NUMERIC = ["total_bill", "tip", "size"]
TEXT = ["sex", "smoker", "day", "time"]
CAP = 1000
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def tips_duckdb() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    frame = plotly.data.tips()
    connection.register("tips_frame", frame)
    connection.execute("CREATE TABLE tips AS SELECT * FROM tips_frame")
    connection.unregister("tips_frame")
    connection.execute("SET enable_external_access = false")
    # Generated joins and recursive CTEs can explode: bound them as the real sandbox does.
    connection.execute("SET memory_limit = '512MB'")
    connection.execute("SET threads = 1")
    return connection


def _run_bounded(connection: duckdb.DuckDBPyConnection, sql: str, seconds: float = 2.0) -> list[tuple]:
    timer = threading.Timer(seconds, connection.interrupt)
    timer.start()
    try:
        return connection.execute(sql).fetchall()
    finally:
        timer.cancel()


# --- 1. generated SELECTs ------------------------------------------------------------------------

safe_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12
)
string_literal = safe_text.map(lambda text: exp.Literal.string(text).sql("duckdb"))
number_literal = st.one_of(st.integers(-50, 50), st.floats(-50, 50, allow_nan=False).map(lambda x: round(x, 2)))
keyword_case = st.sampled_from([str.upper, str.lower, str.title])
comment = st.one_of(
    st.just(" "),
    safe_text.filter(lambda text: "*/" not in text and "/*" not in text).map(lambda text: f" /* {text} */ "),
    safe_text.filter(lambda text: "\n" not in text and "\r" not in text).map(lambda text: f" -- {text}\n"),
)


@st.composite
def condition(draw) -> str:
    kind = draw(st.sampled_from(["num", "text", "in", "like", "null", "between"]))
    if kind == "num":
        operator = draw(st.sampled_from(["<", "<=", ">", ">=", "=", "<>"]))
        return f"{draw(st.sampled_from(NUMERIC))} {operator} {draw(number_literal)}"
    if kind == "text":
        return f"{draw(st.sampled_from(TEXT))} = {draw(string_literal)}"
    if kind == "in":
        values = draw(st.lists(st.one_of(string_literal, st.sampled_from(["'Sun'", "'Sat'", "'Male'"])), min_size=1,
                               max_size=4))
        return f"{draw(st.sampled_from(TEXT))} IN ({', '.join(values)})"
    if kind == "like":
        return f"{draw(st.sampled_from(TEXT))} LIKE {exp.Literal.string(draw(safe_text) + '%').sql('duckdb')}"
    if kind == "null":
        return f"{draw(st.sampled_from(TEXT + NUMERIC))} IS {draw(st.sampled_from(['', 'NOT ']))}NULL"
    low = draw(st.integers(0, 30))
    return f"{draw(st.sampled_from(NUMERIC))} BETWEEN {low} AND {low + draw(st.integers(0, 30))}"


@st.composite
def generated_select(draw) -> str:
    case = draw(keyword_case)
    grouped = draw(st.booleans())
    if grouped:
        keys = draw(st.lists(st.sampled_from(TEXT), min_size=1, max_size=2, unique=True))
        aggregates = draw(st.lists(
            st.one_of(
                st.builds(lambda f, c: f"{f}({c})", st.sampled_from(["SUM", "AVG", "MIN", "MAX", "COUNT"]),
                          st.sampled_from(NUMERIC)),
                st.just("COUNT(*)"),
                st.builds(lambda c: f"COUNT(DISTINCT {c})", st.sampled_from(TEXT)),
            ),
            min_size=1, max_size=3,
        ))
        items = keys + [f"ROUND({a}, 4)" for a in aggregates]
    else:
        items = draw(st.lists(
            st.one_of(
                st.sampled_from(NUMERIC + TEXT),
                st.builds(lambda c, n: f"ROUND({c} * {n}, 2)", st.sampled_from(NUMERIC), number_literal),
                st.builds(lambda c: f"LOWER({c})", st.sampled_from(TEXT)),
                st.builds(lambda c: f"LENGTH({c})", st.sampled_from(TEXT)),
                st.builds(lambda c, n, a, b: f"CASE WHEN {c} > {n} THEN {a} ELSE {b} END",
                          st.sampled_from(NUMERIC), number_literal, string_literal, string_literal),
            ),
            min_size=1, max_size=4,
        ))
    aliased = [f"{item} AS c{index}" for index, item in enumerate(items)]
    table = draw(st.sampled_from(["tips", "TIPS", "Tips", '"tips"']))
    sql = f"{case('select')}{draw(comment)}{', '.join(aliased)} {case('from')} {table}"
    conditions = draw(st.lists(condition(), max_size=3))
    if conditions:
        sql += f"{draw(comment)}{case('where')} " + f" {draw(st.sampled_from(['AND', 'OR']))} ".join(conditions)
    if grouped:
        sql += f" {case('group by')} " + ", ".join(keys)
    sql += f" {case('order by')} " + ", ".join(str(position) for position in range(1, len(items) + 1))
    if draw(st.booleans()):
        sql += f" {case('limit')} {draw(st.integers(0, 300))}"
    shape = draw(st.sampled_from(["plain", "cte", "subquery"]))
    if shape == "cte":
        sql = f"WITH q AS ({sql}) SELECT * FROM q"
    elif shape == "subquery":
        sql = f"SELECT * FROM ({sql}) AS q"
    return sql + draw(st.sampled_from(["", ";", " ;  ", draw(comment)]))


@PROPERTY_SETTINGS
@given(sql=generated_select())
def test_generated_selects_pass_rerender_stably_and_keep_their_rows(tips_duckdb, sql):
    guarded = guard_sql(sql, dialect="duckdb", allowed_tables=["tips"], row_cap=CAP)
    assert guarded.tables == ["tips"]
    again = guard_sql(guarded.sql, dialect="duckdb", allowed_tables=["tips"], row_cap=CAP)
    assert again.sql == guarded.sql
    assert sqlglot.parse_one(again.sql, read="duckdb") == sqlglot.parse_one(guarded.sql, read="duckdb")
    try:
        expected = tips_duckdb.execute(sql).fetchall()
    except duckdb.Error:
        assume(False)  # e.g. LOWER() of a number: DuckDB refuses the original too
    assert sorted(map(repr, tips_duckdb.execute(guarded.sql).fetchall())) == sorted(map(repr, expected))


# --- 2. forbidden statements ---------------------------------------------------------------------

identifier = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)
path = st.sampled_from(["/etc/passwd", "/tmp/x.csv", "s3://b/k.parquet", "https://evil.example/x", "~/.ssh/id_rsa",
                        "../other/1/data.duckdb", "C:\\\\x.csv"])
statement_templates = st.sampled_from([
    "INSERT INTO {t} VALUES (1)", "UPDATE {t} SET {c} = 1", "DELETE FROM {t}", "CREATE TABLE {t} (a INT)",
    "CREATE VIEW {t} AS SELECT 1", "DROP TABLE {t}", "ALTER TABLE {t} ADD COLUMN {c} INT", "TRUNCATE {t}",
    "COPY {t} TO '{p}'", "COPY (SELECT 1) TO '{p}'", "ATTACH '{p}' AS {t}", "DETACH {t}", "INSTALL {t}",
    "LOAD {t}", "PRAGMA {t}", "SET {c} = 1", "CALL {t}()", "EXPORT DATABASE '{p}'", "CHECKPOINT", "USE {t}",
    "VACUUM", "BEGIN", "COMMIT", "GRANT SELECT ON {t} TO {c}", "CREATE MACRO {t}(a) AS a", "DESCRIBE {t}",
    "SELECT * FROM tips; {inner}", "SELECT * INTO {t} FROM tips", "SELECT * FROM tips FOR UPDATE",
    "SELECT * FROM {fn}('{p}')", "SELECT {fn}('{p}') FROM tips", "SELECT * FROM tips WHERE {c} = {fn}('{p}')",
    "SELECT * FROM tips ORDER BY (SELECT {fn}('{p}'))", "WITH x AS (SELECT {fn}('{p}')) SELECT * FROM x",
    "SELECT * FROM '{p}'", "SELECT * FROM tips JOIN '{p}' ON true", "SELECT * FROM {schema}.{t}",
    "SELECT * FROM tips UNION SELECT * FROM {schema}.{t}", "SELECT * FROM {t}x_not_allowed",
])
dangerous_function = st.sampled_from([
    "read_csv", "read_csv_auto", "read_text", "read_blob", "read_json", "read_parquet", "glob", "query", "query_table",
    "range", "generate_series", "sqlite_scan", "postgres_scan", "iceberg_scan", "current_setting", "getenv",
    "pg_read_file", "pg_ls_dir", "lo_import", "load_file", "sleep", "pg_sleep", "benchmark", "dblink", "http_get",
    "duckdb_settings", "duckdb_secrets", "version", "set_config", "unnest",
])
system_schema = st.sampled_from(["information_schema", "pg_catalog", "mysql", "performance_schema", "sys", "system",
                                 "temp"])


@PROPERTY_SETTINGS
@given(
    template=statement_templates, table=identifier, column=identifier, target=path, function=dangerous_function,
    schema=system_schema, inner=st.sampled_from(["DROP TABLE tips", "SELECT 1", "PRAGMA x"]),
    case=keyword_case, dialect=st.sampled_from(["duckdb", "postgres", "mysql"]),
)
def test_forbidden_statements_never_pass(template, table, column, target, function, schema, inner, case, dialect):
    sql = template.format(t=table, c=column, p=target, fn=case(function), schema=schema, inner=inner)
    with pytest.raises(SqlRefused):
        guard_sql(sql, dialect=dialect, allowed_tables=["tips"], row_cap=CAP)


# --- 3. what passes reads only allowed tables ------------------------------------------------------

ALLOWED_SPELLINGS = ["tips", "TIPS", '"tips"', '"Tips"', "main.tips", "public.tips"]
# Allowed spellings twice, so that a good share of the generated queries passes the guard.
TABLE_NAMES = ALLOWED_SPELLINGS * 2 + ["secret", '"secret"', "Secret", "a", "b", "A", '"A"', "main.secret",
                                      "public.secret"]
CTE_NAMES = ["a", "b", "A", '"A"', "secret", "Secret", '"secret"', "tips", '"Tips"']


def _query(
    depth: int, table_names: list[str] = TABLE_NAMES, cte_names: list[str] = CTE_NAMES
) -> st.SearchStrategy[str]:
    if depth <= 0:
        return st.sampled_from(table_names).map(lambda name: f"SELECT 1 AS one FROM {name}")
    inner = _query(depth - 1, table_names, cte_names)
    from_item = st.one_of(
        st.sampled_from(table_names),
        inner.map(lambda q: f"({q}) AS s{depth}"),
        st.tuples(st.sampled_from(table_names), st.sampled_from(table_names)).map(
            lambda pair: f"{pair[0]} AS l{depth} JOIN {pair[1]} AS r{depth} ON true"
        ),
    )
    body = st.tuples(from_item, st.one_of(st.just(""), inner.map(lambda q: f" WHERE 1 IN ({q})"))).map(
        lambda parts: f"SELECT 1 AS one FROM {parts[0]}{parts[1]}"
    )
    with_body = st.one_of(body, st.tuples(body, inner).map(lambda pair: f"{pair[0]} UNION ALL {pair[1]}"))
    cte = st.tuples(st.sampled_from(cte_names), inner).map(lambda pair: f"{pair[0]} AS ({pair[1]})")
    with_clause = st.one_of(
        st.just(""),
        st.tuples(st.sampled_from(["WITH ", "WITH RECURSIVE "]), st.lists(cte, min_size=1, max_size=2)).map(
            lambda parts: parts[0] + ", ".join(parts[1]) + " "
        ),
    )
    return st.tuples(with_clause, with_body).map(lambda parts: parts[0] + parts[1])


nested_query = _query(3)
# Catalog views and lookalike spellings of them, as table names and as CTE names.
SYSTEM_NAMES = [
    "pg_settings",
    "duckdb_databases",
    "sqlite_master",
    "pg_type",
    "duckdb_settings",
    "pragma_database_list",
    '"duc\u212adb_databases"',
    "information_schema.tables",
    "PG_SETTINGS",
]
nested_query_with_system_names = _query(3, TABLE_NAMES + SYSTEM_NAMES, CTE_NAMES + SYSTEM_NAMES)


@PROPERTY_SETTINGS
@given(sql=nested_query)
def test_what_passes_reads_only_allowed_tables_on_duckdb(tips_duckdb, sql):
    try:
        guarded = guard_sql(sql, dialect="duckdb", allowed_tables=["tips"], row_cap=CAP, allowed_schemas=["main"])
    except SqlRefused:
        return
    assert set(guarded.tables) <= {"tips"}
    try:
        _run_bounded(tips_duckdb, guarded.sql)
    except duckdb.CatalogException as error:
        pytest.fail(f"passed the guard but named a table the database does not have: {sql!r}: {error}")
    except duckdb.Error:
        pass  # e.g. a UNION of mismatched shapes; the binder already resolved every table name


@pytest.fixture(scope="module")
def tips_postgres():
    schema = f"guard_{secrets.token_hex(4)}"
    connection = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="test")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema}"')
        cursor.execute(f'CREATE TABLE "{schema}".tips (day text, tip numeric)')
        cursor.execute(f"INSERT INTO \"{schema}\".tips VALUES ('Sun', 1.5), ('Sat', 2)")
    try:
        yield connection, schema
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')
        connection.close()


@PROPERTY_SETTINGS
@given(sql=nested_query)
def test_what_passes_reads_only_allowed_tables_on_postgres(tips_postgres, sql):
    connection, schema = tips_postgres
    try:
        guarded = guard_sql(sql, dialect="postgres", allowed_tables=["tips"], row_cap=CAP,
                            allowed_schemas=[schema, "public"], qualify_schema=schema)
    except SqlRefused:
        return
    assert set(guarded.tables) <= {"tips"}
    with connection.cursor() as cursor:
        cursor.execute("BEGIN READ ONLY")
        try:
            cursor.execute("SET LOCAL statement_timeout = '2s'")
            cursor.execute("SET LOCAL search_path = pg_catalog")
            cursor.execute(guarded.sql)
            cursor.fetchall()
        except psycopg2.errors.UndefinedTable as error:
            pytest.fail(f"passed the guard but named a table the database does not have: {sql!r}: {error}")
        except psycopg2.Error:
            pass
        finally:
            cursor.execute("ROLLBACK")


# Letters whose case DuckDB folds (ASCII), whose case it does not (é/É), and letters Python's
# lower() or casefold() turn into ASCII (Kelvin sign, long s, dotless i).
NAME_LETTERS = "kKsSiIé\u00c9\u212a\u017f\u0131"


@PROPERTY_SETTINGS
@given(cte=st.text(NAME_LETTERS, min_size=1, max_size=3), ref=st.text(NAME_LETTERS, min_size=1, max_size=3),
       recursive=st.booleans())
def test_duckdb_takes_a_name_for_a_cte_exactly_when_the_guard_does(cte, ref, recursive):
    """Differential: a table named like the reference exists; when the guard passes the query, DuckDB
    must read the CTE, and when DuckDB reads the CTE the guard refuses only lookalike letters."""
    sql = f'WITH {"RECURSIVE " if recursive else ""}"{cte}" AS (SELECT 1 AS v) SELECT v FROM "{ref}"'
    connection = duckdb.connect()
    connection.execute(f'CREATE TABLE "{ref}" AS SELECT 2 AS v')
    duckdb_reads_the_cte = connection.execute(sql).fetchall() == [(1,)]
    try:
        guarded = guard_sql(sql, dialect="duckdb", allowed_tables=["tips"], row_cap=CAP)
    except SqlRefused as refused:
        # Refusing is right only when DuckDB would read the CTE, so pytest.raises does not fit.
        assert not duckdb_reads_the_cte or "a letter that case folding turns into" in refused.detail, refused.detail  # noqa: PT017
        return
    assert duckdb_reads_the_cte and guarded.tables == []
    assert connection.execute(guarded.sql).fetchall() == [(1,)]


# --- 4. differential: DuckDB's own binding agrees with the guard ------------------------------------


@pytest.fixture(scope="module")
def dataset_sandbox(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    """The user's table in an attached `dataset` catalog, as the query worker sees it, catalog views and all."""
    path = tmp_path_factory.mktemp("dataset") / "tips.duckdb"
    with duckdb.connect(str(path)) as writer:
        writer.register("tips_frame", plotly.data.tips())
        writer.execute("CREATE TABLE tips AS SELECT * FROM tips_frame")
    connection = duckdb.connect()
    connection.execute(f"ATTACH '{path}' AS dataset (READ_ONLY)")
    connection.execute("USE dataset")
    connection.execute("SET explain_output = 'all'")
    return connection


@PROPERTY_SETTINGS
@given(sql=nested_query_with_system_names)
def test_what_passes_binds_only_the_users_tables_in_duckdbs_own_plan(dataset_sandbox, sql):
    """Whatever the guard accepts, DuckDB's bound and physical plans read `dataset.main.tips` and nothing else."""
    try:
        guarded = guard_sql(sql, dialect="duckdb", allowed_tables=["tips"], row_cap=CAP, allowed_schemas=["main"])
    except SqlRefused:
        return
    try:
        plans = dict(dataset_sandbox.execute(f"EXPLAIN (FORMAT JSON) {guarded.sql}").fetchall())
    except duckdb.CatalogException as error:
        pytest.fail(f"passed the guard but named a table the database does not have: {sql!r}: {error}")
    except duckdb.Error:
        return  # e.g. a UNION of mismatched shapes: nothing binds, nothing runs
    for kind in ("logical_plan", "physical_plan"):
        assert foreign_reads(json.loads(plans[kind]), {"tips"}, catalog="dataset") == [], (sql, kind)
