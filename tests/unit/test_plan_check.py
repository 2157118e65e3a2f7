"""The plan check on its own: what a DuckDB plan reads, judged from real `EXPLAIN (FORMAT JSON)` plans."""

from __future__ import annotations

import json

import duckdb
import pytest

from lumiere.storage.plan_check import foreign_reads, split_qualified_name


@pytest.fixture(scope="module")
def explain():
    """EXPLAIN on a DuckDB laid out like the sandbox: the user's tables in the attached `dataset`."""
    connection = duckdb.connect(":memory:")
    connection.execute("ATTACH ':memory:' AS dataset")
    connection.execute("USE dataset")
    connection.execute("CREATE TABLE gapminder AS SELECT 'Chad' AS country, 2007 AS year, [1, 2] AS l")
    connection.execute('CREATE TABLE "Odd.Name ""x""" AS SELECT 1 AS a')
    connection.execute("CREATE TABLE secret AS SELECT 1 AS a")

    def plan_of(sql: str) -> list[dict]:
        return json.loads(connection.execute(f"EXPLAIN (FORMAT JSON) {sql}").fetchall()[0][1])

    yield plan_of
    connection.close()


ALLOWED = ["gapminder", 'Odd.Name "x"']


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM gapminder",
        "SELECT country, count(*) FROM gapminder GROUP BY ALL ORDER BY 2 DESC LIMIT 3",
        'SELECT * FROM "Odd.Name ""x"""',
        "SELECT 1",
        "SELECT * FROM (VALUES (1), (2)) v(a)",
        "WITH t AS MATERIALIZED (SELECT * FROM gapminder) SELECT * FROM t, t AS u",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT * FROM r",
        "SELECT * FROM gapminder g WHERE EXISTS (SELECT 1 FROM gapminder h WHERE h.year = g.year + 1)",
        "SELECT year, sum(year) OVER (PARTITION BY country ORDER BY year) FROM gapminder",
        "SELECT country, unnest(l) FROM gapminder",
        "SELECT * FROM gapminder WHERE 1 = 0",
        "SELECT count(*) FROM gapminder",
        "SELECT current_setting('threads')",
    ],
)
def test_plans_that_read_only_the_users_tables_pass(explain, sql):
    assert foreign_reads(explain(sql), ALLOWED, catalog="dataset") == []


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("SELECT * FROM pg_settings", "DUCKDB_SETTINGS"),
        ("SELECT * FROM duckdb_settings()", "DUCKDB_SETTINGS"),
        ("SELECT * FROM duckdb_databases", "DUCKDB_DATABASES"),
        ("SELECT * FROM sqlite_master", "DUCKDB_TABLES"),
        ("SELECT * FROM pragma_database_list", "DUCKDB_DATABASES"),
        ("SELECT * FROM information_schema.tables", "DUCKDB_TABLES"),
        ("WITH RECURSIVE pg_settings AS (SELECT * FROM pg_settings) SELECT name FROM pg_settings", "DUCKDB_SETTINGS"),
        ("SELECT * FROM range(10)", "RANGE"),
        ("SELECT * FROM unnest([1, 2])", "UNNEST"),
        ("SELECT * FROM gapminder g, LATERAL (SELECT * FROM range(g.year)) r", "INOUT_FUNCTION"),
        ("SELECT * FROM gapminder, duckdb_settings()", "DUCKDB_SETTINGS"),
        ("SELECT * FROM secret", "secret"),
        ("SELECT * FROM system.main.duckdb_tables", "DUCKDB_TABLES"),
        ("SHOW TABLES", "DUCKDB_TABLES"),
    ],
)
def test_plans_that_read_anything_else_are_named(explain, sql, named):
    found = foreign_reads(explain(sql), ALLOWED, catalog="dataset")
    assert any(named in item for item in found), found


def test_a_table_of_the_same_name_in_another_catalog_is_foreign():
    plan = [{"name": "SEQ_SCAN", "children": [], "extra_info": {"Table": "memory.main.gapminder"}}]
    assert foreign_reads(plan, ["gapminder"], catalog="dataset") == ["SEQ_SCAN memory.main.gapminder"]
    assert foreign_reads(plan, ["gapminder"], catalog="memory") == []


def test_names_compare_exactly_not_by_unicode_case_folding():
    plan = [{"name": "SEQ_SCAN", "children": [], "extra_info": {"Table": "dataset.main.Gapminder"}}]
    assert foreign_reads(plan, ["gapminder"], catalog="dataset")
    assert foreign_reads(plan, ["Gapminder"], catalog="dataset") == []
    kelvin = [{"name": "SEQ_SCAN", "children": [], "extra_info": {"Table": "dataset.main.\u212aey"}}]
    assert foreign_reads(kelvin, ["key"], catalog="dataset")


def test_unknown_leaf_operators_are_foreign_until_known():
    plan = [{"name": "PROJECTION", "children": [{"name": "SOME_NEW_SOURCE", "children": [], "extra_info": {}}]}]
    assert foreign_reads(plan, ["t"], catalog="dataset") == ["SOME_NEW_SOURCE"]


def test_no_tables_allowed_means_every_table_of_the_catalog():
    plan = [{"name": "SEQ_SCAN", "children": [], "extra_info": {"Table": "dataset.main.anything"}}]
    assert foreign_reads(plan, None, catalog="dataset") == []
    assert foreign_reads(plan, [], catalog="dataset") == ["SEQ_SCAN dataset.main.anything"]


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("dataset.main.gapminder", ["dataset", "main", "gapminder"]),
        ('dataset.main."we.ird ""t"', ["dataset", "main", 'we.ird "t']),
        ('"a.b"."c"', ["a.b", "c"]),
        ("plain", ["plain"]),
    ],
)
def test_qualified_names_split_on_dots_outside_quotes(text, parts):
    assert split_qualified_name(text) == parts
