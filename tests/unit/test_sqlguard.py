"""The SQL guard: what it accepts, how it re-renders, the row cap, table resolution per dialect."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import plotly.data
import pytest
import sqlglot

from lumiere.core.errors import BadRequest
from lumiere.services.sqlguard import GuardedSQL, SqlRefused, guard_sql
from tests.helpers.rows import present

SPIDER = Path("/work/shared/eval/spider_single/questions.jsonl")


def guard(sql: str, dialect: str = "duckdb", tables=("tips",), cap: int = 100, **kwargs) -> GuardedSQL:
    return guard_sql(sql, dialect=dialect, allowed_tables=list(tables), row_cap=cap, **kwargs)


def refusal(sql: str, dialect: str = "duckdb", tables=("tips",), **kwargs) -> str:
    with pytest.raises(SqlRefused) as caught:
        guard(sql, dialect, tables, **kwargs)
    return caught.value.detail


@pytest.fixture(scope="module")
def tips_db() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    frame = plotly.data.tips()
    connection.register("tips_frame", frame)
    connection.execute("CREATE TABLE tips AS SELECT * FROM tips_frame")
    connection.execute('CREATE TABLE "Weird Name" AS SELECT * FROM tips_frame LIMIT 7')
    return connection


def test_refusal_is_a_400_bad_request():
    with pytest.raises(SqlRefused) as caught:
        guard("DROP TABLE tips")
    assert isinstance(caught.value, BadRequest)
    assert caught.value.status_code == 400
    assert caught.value.to_body() == {"detail": "Only a single read-only SELECT statement is allowed, not DROP."}


def test_messages_say_what_to_fix():
    assert refusal("SELECT 1 FROM tips; SELECT 2 FROM tips") == (
        "Only a single SELECT statement is allowed; found 2 statements."
    )
    assert refusal("SELECT * FROM read_csv('/etc/passwd')") == (
        "The function read_csv is not allowed: queries may only read your own tables."
    )
    assert refusal("SELECT * FROM orders") == "The table orders is not one of your tables; available: tips."
    assert "line 1" in refusal("SELECT FROM WHERE")
    assert refusal("   ") == "The SQL is empty; write one SELECT statement."
    assert "fewer nested parentheses" in refusal("SELECT " + "(" * 300 + "1" + ")" * 300 + " FROM tips")


def test_every_spider_gold_query_passes_and_keeps_its_result():
    """494 real single-table queries: all accepted, and on DuckDB the re-rendered SQL returns the same rows."""
    connection = duckdb.connect()
    # One thread: a gold query whose ORDER BY ... LIMIT has ties then returns the same tied row on both runs.
    connection.execute("SET threads = 1")
    loaded: set[str] = set()
    compared = 0
    items = [json.loads(line) for line in SPIDER.read_text(encoding="utf-8").splitlines()]
    for item in items:
        table = item["table"]
        if table not in loaded:
            csv_path = SPIDER.parent / item["table_csv"]
            name = sqlglot.exp.to_identifier(table, quoted=True).sql("duckdb")
            connection.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv(?)", [str(csv_path)])
            loaded.add(table)
        guarded = guard(item["gold_sql_sqlite"], tables=[table], cap=100_000)
        assert guarded.tables == [table]
        assert guard(guarded.sql, tables=[table], cap=100_000).sql == guarded.sql
        try:
            expected = connection.execute(item["gold_sql_sqlite"]).fetchall()
        except duckdb.Error:
            continue  # SQLite-only SQL ("double-quoted" strings ...): DuckDB itself refuses it
        assert sorted(map(repr, connection.execute(guarded.sql).fetchall())) == sorted(map(repr, expected))
        compared += 1
    assert len(items) == 494
    assert compared >= 350


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT day, AVG(tip) AS avg_tip FROM tips GROUP BY day ORDER BY avg_tip DESC",
        "SELECT * FROM tips WHERE total_bill > 30 AND smoker = 'Yes' ORDER BY total_bill, tip",
        "WITH big AS (SELECT * FROM tips WHERE size >= 4) SELECT sex, COUNT(*) FROM big GROUP BY sex ORDER BY 1",
        "SELECT day, tip, RANK() OVER (PARTITION BY day ORDER BY tip DESC) AS r FROM tips ORDER BY day, r, tip",
        "SELECT day FROM tips WHERE size = 1 UNION SELECT day FROM tips WHERE size = 6 ORDER BY 1",
        "SELECT day FROM tips INTERSECT SELECT day FROM tips WHERE time = 'Lunch' ORDER BY 1",
        "SELECT day FROM tips EXCEPT SELECT day FROM tips WHERE time = 'Lunch' ORDER BY 1",
        "SELECT COUNT(*) FILTER (WHERE smoker = 'Yes') AS smokers, MEDIAN(tip) FROM tips",
        (
            "SELECT CASE WHEN tip / total_bill > 0.2 THEN 'generous' ELSE 'usual' END AS kind, COUNT(*) FROM tips "
            "GROUP BY 1 ORDER BY 1"
        ),
        (
            "SELECT t.day, (SELECT MAX(tip) FROM tips AS u WHERE u.day = t.day) AS best FROM tips AS t "
            "GROUP BY t.day ORDER BY 1"
        ),
        "FROM tips SELECT day, size WHERE size > 5 ORDER BY day",
        "SELECT ROUND(STDDEV(tip), 4), QUANTILE_CONT(tip, 0.9), LOWER(day) AS d FROM tips GROUP BY d ORDER BY d",
        'SELECT COUNT(*) FROM "Weird Name"',
    ],
)
def test_rerendered_sql_gives_the_same_rows(tips_db, sql):
    guarded = guard(sql, tables=["tips", "Weird Name"], cap=1000)
    assert tips_db.execute(guarded.sql).fetchall() == tips_db.execute(sql).fetchall()


def test_output_quotes_identifiers_and_drops_comments():
    guarded = guard("SELECT day /* note */, COUNT(*) -- trailing\nFROM TIPS GROUP BY day")
    assert guarded.sql == 'SELECT "day", COUNT(*) FROM "tips" GROUP BY "day" LIMIT 101'
    mysql = guard("SELECT a /*! , LOAD_FILE('/etc/passwd') */ FROM tips", "mysql")
    assert "LOAD_FILE" not in mysql.sql.upper() and "/*" not in mysql.sql


def test_row_cap_is_added_kept_or_lowered():
    no_limit = guard("SELECT * FROM tips", cap=50)
    assert no_limit.sql.endswith("LIMIT 51") and no_limit.limited
    small = guard("SELECT * FROM tips LIMIT 5", cap=50)
    assert small.sql.endswith("LIMIT 5") and not small.limited and small.count_sql is None
    at_cap = guard("SELECT * FROM tips LIMIT 50", cap=50)
    assert at_cap.sql.endswith("LIMIT 50") and not at_cap.limited
    big = guard("SELECT * FROM tips LIMIT 5000 OFFSET 3", cap=50)
    assert big.sql.endswith("LIMIT 51 OFFSET 3") and big.limited
    assert present(big.count_sql).endswith("LIMIT 5000 OFFSET 3) AS \"lumiere_counted\"")
    fetch = guard("SELECT * FROM tips FETCH FIRST 7 ROWS ONLY", "postgres", cap=50)
    assert fetch.sql.endswith("LIMIT 7") and not fetch.limited
    union = guard("SELECT day FROM tips UNION SELECT time FROM tips", cap=3)
    assert union.sql.endswith("LIMIT 4") and union.limited


def test_count_query_drops_ordering_and_counts_everything(tips_db):
    guarded = guard("SELECT * FROM tips ORDER BY tip", cap=10)
    assert "ORDER BY" not in present(guarded.count_sql)
    assert tips_db.execute(guarded.count_sql).fetchall() == [(244,)]
    assert len(tips_db.execute(guarded.sql).fetchall()) == 11


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM tips LIMIT 10 PERCENT", "LIMIT ... PERCENT"),
        ("SELECT * FROM tips LIMIT (SELECT 3)", "LIMIT must be a whole number"),
        ("SELECT * FROM tips LIMIT -1", "LIMIT must be a whole number"),
    ],
)
def test_unusual_limits_are_refused(sql, expected):
    assert expected in refusal(sql)


def test_duckdb_table_names_are_case_insensitive_and_canonical():
    guarded = guard('SELECT TIPS.day FROM TIPS JOIN "Tips" AS t2 ON TIPS.day = t2.day', tables=["tips"])
    assert guarded.tables == ["tips"]
    assert 'FROM "tips" JOIN "tips" AS "t2"' in guarded.sql
    spaced = guard('SELECT * FROM "my sales 2024"', tables=["My Sales 2024"])
    assert '"My Sales 2024"' in spaced.sql


def test_postgres_resolves_names_like_postgres_and_qualifies_the_schema():
    tables = ["orders", "Sales"]
    exact = guard('SELECT * FROM "Sales"', "postgres", tables, allowed_schemas=["shop"], qualify_schema="shop")
    assert exact.sql == 'SELECT * FROM "shop"."Sales" LIMIT 101'
    folded = guard("SELECT sales.amount FROM Sales", "postgres", tables, qualify_schema="shop")
    # The unquoted name folds to "sales"; the one allowed match is "Sales", aliased so `sales.amount` still binds.
    assert folded.sql == 'SELECT "sales"."amount" FROM "shop"."Sales" AS "sales" LIMIT 101'
    both = guard("SELECT * FROM sales", "postgres", ["sales", "Sales"])
    assert both.tables == ["sales"]
    prefixed = guard("SELECT * FROM shop.orders", "postgres", tables, allowed_schemas=["shop"])
    assert prefixed.sql == 'SELECT * FROM "shop"."orders" LIMIT 101'
    assert "schema public is not available" in refusal(
        "SELECT * FROM public.orders", "postgres", tables, allowed_schemas=["shop"]
    )


def test_mysql_renders_backticks_and_keeps_backslash_escapes():
    guarded = guard("SELECT 'it\\'s', \"x\" AS q FROM tips WHERE day = 'a\\\\b'", "mysql")
    assert guarded.sql == "SELECT 'it''s', 'x' AS `q` FROM `tips` WHERE `day` = 'a\\\\b' LIMIT 101"


def test_cte_names_only_shadow_tables_where_they_are_visible():
    assert guard("WITH x AS (SELECT * FROM tips) SELECT * FROM x").tables == ["tips"]
    assert guard("WITH x AS (SELECT 1 AS a) SELECT * FROM x, (SELECT * FROM x) AS y").tables == []
    assert guard("WITH a AS (SELECT 1 AS n), b AS (SELECT * FROM a) SELECT * FROM b").tables == []
    recursive = "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r"
    assert guard(recursive).tables == []
    # Not recursive: the name inside its own body is the real table, which is not allowed.
    assert "secret is not one of your tables" in refusal("WITH secret AS (SELECT * FROM secret) SELECT * FROM secret")
    # A later CTE is not visible to an earlier one.
    assert "b is not one of your tables" in refusal("WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a")
    # A CTE defined inside a subquery does not exist outside it.
    assert "x is not one of your tables" in refusal(
        "SELECT * FROM (WITH x AS (SELECT 1) SELECT * FROM x) AS s, x"
    )
    # PostgreSQL: "X" and x are different names.
    assert "x is not one of your tables" in refusal('WITH "X" AS (SELECT 1) SELECT * FROM x', "postgres")
    assert guard('WITH X AS (SELECT 1) SELECT * FROM "x"', "postgres").tables == []


COUNT_TO_TEN = [
    "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT n FROM r",
    "WITH RECURSIVE r AS (SELECT 1 AS n UNION SELECT n + 1 FROM r WHERE n < 10) SELECT n FROM r",
    "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM (SELECT n FROM r) AS s WHERE n < 10) SELECT n FROM r",
    "WITH RECURSIVE a AS (SELECT 1 AS n), r AS (SELECT n FROM a UNION ALL SELECT r.n + 1 FROM r WHERE r.n < 10) SELECT n FROM r",
]


@pytest.mark.parametrize("sql", COUNT_TO_TEN)
def test_recursive_ctes_still_count_on_duckdb_and_postgres(sql):
    import psycopg2

    from tests.conftest import PG_ADMIN_URL

    on_duckdb = guard(sql).sql
    assert sorted(row[0] for row in duckdb.connect().execute(on_duckdb).fetchall()) == list(range(1, 11))
    on_postgres = guard(sql, "postgres", qualify_schema="public").sql
    connection = psycopg2.connect(PG_ADMIN_URL.replace("postgresql+psycopg2://", "postgresql://"))
    try:
        with connection.cursor() as cursor:
            cursor.execute(on_postgres)
            assert sorted(row[0] for row in cursor.fetchall()) == list(range(1, 11))
    finally:
        connection.close()
    assert guard(sql, "mysql").tables == []


@pytest.mark.parametrize(
    "body",
    [
        "SELECT * FROM secret",  # no UNION: not recursive at all
        "SELECT * FROM secret UNION ALL SELECT * FROM secret",  # the anchor
        "SELECT 1 AS n UNION ALL SELECT n FROM secret UNION ALL SELECT n FROM secret",  # a middle branch
        "(SELECT 1 AS n UNION ALL SELECT n FROM secret) UNION ALL SELECT n FROM secret",  # a bracketed anchor
        "SELECT (SELECT max(n) FROM secret) AS n UNION ALL SELECT n FROM secret",  # a subquery in the anchor
        "SELECT 1 AS n INTERSECT SELECT n FROM secret",
        "SELECT 1 AS n EXCEPT SELECT n FROM secret",
    ],
)
def test_a_recursive_cte_sees_itself_only_from_its_recursive_branch(body):
    for dialect in ("duckdb", "postgres", "mysql"):
        message = refusal(f"WITH RECURSIVE secret AS ({body}) SELECT * FROM secret", dialect)
        assert "secret is not one of your tables" in message


def test_names_fold_like_the_database_folds_them():
    # DuckDB: case-insensitive in ASCII, quoted or not; "é" and "É" are different names.
    assert guard('WITH "Ka" AS (SELECT 1 AS n) SELECT * FROM "kA"').tables == []
    assert "is not one of your tables" in refusal('WITH "\u00e9" AS (SELECT 1 AS n) SELECT * FROM "\u00c9"')
    assert guard('SELECT * FROM "TIPS"').sql == 'SELECT * FROM "tips" LIMIT 101'
    # PostgreSQL: unquoted names fold to ASCII lower case, quoted names are exact.
    assert guard('WITH "\u00e9" AS (SELECT 1 AS n) SELECT * FROM \u00e9', "postgres").tables == []
    assert "is not one of your tables" in refusal('WITH "\u00e9" AS (SELECT 1 AS n) SELECT * FROM "\u00c9"', "postgres")


def test_lookalike_letters_are_every_non_ascii_letter_that_case_folds_into_ascii():
    from lumiere.services.sqlnames import LOOKALIKE_LETTERS

    folding_into_ascii = {
        char
        for char in map(chr, range(0x80, 0x110000))
        if any(mapped.isascii() for mapped in (char.lower(), char.upper(), char.casefold()))
    }
    assert folding_into_ascii - {"\u00df", "\u1e9e"} == LOOKALIKE_LETTERS
    assert "U+212A" in refusal('SELECT "\u212aelvin" FROM tips')
    assert guard('SELECT 1 AS "stra\u00dfe" FROM tips').tables == ["tips"]


BOUNDED_BUILDERS = [
    "SELECT lpad(day, 10000, '.') AS padded FROM tips",
    "SELECT rpad(day, 12) || ' | ' || lpad(CAST(tip AS VARCHAR), 8) AS line FROM tips",
    "SELECT levenshtein(lower(day), 'sunday') AS distance FROM tips",
    "SELECT jaro_winkler_similarity(trim(day), 'Sat') AS similarity FROM tips",
    "SELECT string_agg(DISTINCT day || ' (' || sex || ')', ', ') AS days FROM tips",
    "SELECT list(DISTINCT day) AS days FROM tips",
    "SELECT format('{:>12}', day) AS shown, printf('%8.2f', tip) AS tip_text FROM tips",
    "SELECT bar(tip, 0, 10, 40) AS bar FROM tips",
    "SELECT replace(day, 'Sun', 'Sunday') AS day FROM tips",
    "SELECT array_to_string(list(DISTINCT day), ', ') AS days FROM tips",
    "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT 'row ' || n AS label FROM r",
]


@pytest.mark.parametrize("sql", BOUNDED_BUILDERS)
def test_bounded_text_building_passes_and_runs(tips_db, sql):
    assert tips_db.execute(guard(sql).sql).fetchall()


def test_value_size_limits_are_exact():
    assert guard("SELECT lpad(day, 10000) FROM tips")
    assert refusal("SELECT lpad(day, 10001) FROM tips") == "lpad's length must be a number up to 10,000."
    assert guard("SELECT concat(" + ", ".join(["day"] * 32) + ") FROM tips")
    assert "32 stored values" in refusal("SELECT concat(" + ", ".join(["day"] * 33) + ") FROM tips")
    assert guard("SELECT string_agg(day || '" + "x" * 100 + "', ',') FROM tips")
    assert "at most 100 characters" in refusal("SELECT string_agg(day || '" + "x" * 101 + "', ',') FROM tips")
    assert guard("SELECT levenshtein(day, '" + "x" * 1000 + "') FROM tips")
    assert "1,000 characters a side" in refusal("SELECT levenshtein(day, '" + "x" * 1001 + "') FROM tips")


def test_cte_shared_by_a_union():
    guarded = guard("WITH a AS (SELECT day FROM tips) SELECT * FROM a UNION ALL SELECT * FROM a")
    assert guarded.tables == ["tips"]


def test_schema_prefixes():
    assert guard("SELECT * FROM main.tips", allowed_schemas=["main"]).sql == 'SELECT * FROM "main"."tips" LIMIT 101'
    assert "names a database or catalog" in refusal("SELECT * FROM dataset.main.tips", allowed_schemas=["main"])
    assert "system catalogs" in refusal("SELECT * FROM information_schema.tables", allowed_schemas=["main"])


def test_unknown_dialect_is_a_programming_error():
    with pytest.raises(ValueError, match="oracle"):
        guard_sql("SELECT 1", dialect="oracle", allowed_tables=["t"], row_cap=10)
    with pytest.raises(ValueError, match="row_cap"):
        guard_sql("SELECT 1", dialect="duckdb", allowed_tables=["t"], row_cap=0)


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "mysql"])
def test_common_analytics_functions_pass_in_each_dialect(dialect):
    sql = (
        "SELECT day, COUNT(DISTINCT size), SUM(tip), AVG(total_bill), MIN(tip), MAX(tip), "
        "ROUND(AVG(tip), 2), COALESCE(MAX(sex), 'n/a'), UPPER(MIN(time)), LENGTH(MAX(day)), "
        "CAST(SUM(size) AS DECIMAL(10, 2)), ABS(MIN(tip) - MAX(tip)) "
        "FROM tips WHERE tip BETWEEN 1 AND 5 AND day IN ('Sun', 'Sat') AND sex LIKE 'F%' AND smoker IS NOT NULL "
        "GROUP BY day HAVING COUNT(*) > 1 ORDER BY 2 DESC"
    )
    guarded = guard(sql, dialect)
    assert sqlglot.parse_one(guarded.sql, read=dialect) == sqlglot.parse_one(
        guard(guarded.sql, dialect).sql, read=dialect
    )


TYPICAL = {
    "duckdb": [
        "SELECT strftime(date, '%Y-%m') AS month, SUM(amount) FROM t GROUP BY ALL ORDER BY ALL",
        "SELECT DATE_TRUNC('month', date) AS m, COUNT(*) FROM t GROUP BY 1 ORDER BY 1 NULLS LAST",
        "SELECT EXTRACT(YEAR FROM date) AS y, AVG(amount) FROM t GROUP BY y",
        "SELECT name FROM t WHERE name ILIKE '%abc%'",
        "SELECT STRING_AGG(name, ', ') FROM t",
        "SELECT name, amount, ROW_NUMBER() OVER (ORDER BY amount DESC) AS rn FROM t QUALIFY rn <= 3",
        "SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY amount) FROM t",
        "SELECT CAST(date AS DATE), TRY_CAST(amount AS INTEGER) FROM t",
        "SELECT name, SUM(amount) * 100.0 / SUM(SUM(amount)) OVER () AS share FROM t GROUP BY name",
        "SELECT year(date), month(date), dayname(date), monthname(date), date_part('dow', date) FROM t",
        "SELECT * FROM t WHERE date >= CURRENT_DATE - INTERVAL 30 DAY",
        "SELECT regexp_replace(name, '[0-9]', '', 'g'), concat(name, '-'), name || '!', left(name, 3) FROM t",
        "SELECT CORR(amount, qty), MODE(name), APPROX_COUNT_DISTINCT(name), ARG_MAX(name, amount) FROM t",
        "SELECT date_diff('day', MIN(date), MAX(date)), epoch(MAX(date)), make_date(2020, 1, 1) FROM t",
        "SELECT time_bucket(INTERVAL '1 week', date) AS w, SUM(amount) FROM t GROUP BY w",
        "SELECT name, LAG(amount) OVER (PARTITION BY name ORDER BY date) FROM t",
    ],
    "postgres": [
        "SELECT to_char(date, 'YYYY-MM') AS m, SUM(amount) FROM t GROUP BY 1",
        "SELECT date_trunc('month', date)::date AS m, EXTRACT(EPOCH FROM date) FROM t",
        "SELECT name FROM t WHERE name ~* 'abc'",
        "SELECT string_agg(name, ',' ORDER BY name), array_agg(name) FROM t",
        "SELECT DISTINCT ON (name) name, amount FROM t ORDER BY name, amount DESC",
        "SELECT age(date), now() - date, amount::numeric(10, 2) FROM t",
        "SELECT COUNT(*) FROM t WHERE date > now() - interval '30 days'",
        "SELECT name, RANK() OVER w FROM t WINDOW w AS (ORDER BY amount)",
        "SELECT * FROM t WHERE name = ANY (ARRAY['a', 'b'])",
        "SELECT width_bucket(amount, 0, 100, 10), justify_days(now() - date) FROM t",
    ],
    "mysql": [
        "SELECT DATE_FORMAT(date, '%Y-%m') AS m, SUM(amount) FROM t GROUP BY m",
        "SELECT GROUP_CONCAT(name SEPARATOR ', '), IF(MAX(amount) > 10, 'hi', 'lo') FROM t",
        "SELECT DATEDIFF(MAX(date), MIN(date)), TIMESTAMPDIFF(DAY, MIN(date), MAX(date)) FROM t",
        "SELECT name FROM t WHERE name REGEXP '^a'",
        "SELECT CONCAT(name, '!'), IFNULL(amount, 0), DATE(date), NOW(), CURDATE() FROM t",
        "SELECT STR_TO_DATE('2020-01-01', '%Y-%m-%d'), ROUND(AVG(amount), 2) FROM t",
    ],
}


@pytest.mark.parametrize(
    ("dialect", "sql"), [(dialect, sql) for dialect, queries in TYPICAL.items() for sql in queries]
)
def test_typical_analytics_sql_passes(dialect, sql):
    """What people and LLMs write for analytics is accepted, in each dialect."""
    assert guard(sql, dialect, tables=["t"]).tables == ["t"]
