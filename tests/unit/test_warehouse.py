"""Sandboxed execution on uploaded datasets: results, JSON-safe rows, caps, timeouts, value lookup."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pandas as pd
import plotly.data
import pytest
from sqlglot import exp

from lumiere.config import get_settings, reset_settings
from lumiere.core.errors import BadRequest, Conflict, NotFound, QueryRejected, Timeout
from lumiere.models import Source
from lumiere.services import warehouse
from lumiere.services.sqlguard import SqlRefused
from lumiere.storage.datasets import dataset_path
from tests.helpers.datasets import frame_dataset, make_dataset


@pytest.fixture
def settings_env(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Points the settings at a fresh data dir; call it with NAME=value to set more."""

    def apply(**values: object) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"LUMIERE_{name.upper()}", str(value))
        reset_settings()

    monkeypatch.setenv("LUMIERE_DATA_DIR", str(data_dir))
    reset_settings()
    yield apply
    reset_settings()


@pytest.fixture
def tips(settings_env) -> Source:
    return frame_dataset(plotly.data.tips(), "tips")


@pytest.fixture
def gapminder(settings_env) -> Source:
    return frame_dataset(plotly.data.gapminder(), "gapminder")


# --- small pieces --------------------------------------------------------------------------------


def test_dialect_and_allowed_tables_come_from_the_source():
    upload = Source(user_id=1, name="t", kind="csv", table_name="tips", tables_json=[])
    assert warehouse.dialect_of(upload) == "duckdb"
    assert warehouse.allowed_tables(upload) == ["tips"]
    pg = Source(user_id=1, name="p", kind="postgresql", tables_json=[{"name": "orders"}, {"name": "Line Items"}])
    assert warehouse.dialect_of(pg) == "postgres"
    assert warehouse.allowed_tables(pg) == ["orders", "Line Items"]
    assert warehouse.dialect_of(Source(user_id=1, name="m", kind="mysql", tables_json=[])) == "mysql"
    with pytest.raises(BadRequest):
        warehouse.dialect_of(Source(user_id=1, name="x", kind="excel", tables_json=[]))


@pytest.mark.parametrize(
    ("type_name", "kind"),
    [
        ("BIGINT", "integer"), ("INTEGER", "integer"), ("UTINYINT", "integer"), ("HUGEINT", "integer"),
        ("int unsigned", "integer"), ("smallint", "integer"), ("int4", "integer"), ("bigserial", "integer"),
        ("DOUBLE", "number"), ("DECIMAL(10,2)", "number"), ("numeric(12, 4)", "number"), ("real", "number"),
        ("double precision", "number"), ("FLOAT", "number"),
        ("VARCHAR", "text"), ("character varying(20)", "text"), ("text", "text"), ("ENUM('a', 'b')", "text"),
        ("UUID", "text"), ("longtext", "text"), ("bpchar", "text"),
        ("DATE", "date"), ("TIMESTAMP", "datetime"), ("TIMESTAMP WITH TIME ZONE", "datetime"),
        ("timestamp without time zone", "datetime"), ("datetime", "datetime"), ("TIMESTAMP_NS", "datetime"),
        ("BOOLEAN", "boolean"), ("bool", "boolean"), ("bit(1)", "boolean"),
        ("INTEGER[]", "other"), ("STRUCT(x INTEGER)", "other"), ("BLOB", "other"), ("INTERVAL", "other"),
        ("TIME", "other"), ("jsonb", "other"), ("", "other"),
    ],
)
def test_kind_of(type_name, kind):
    assert warehouse.kind_of(type_name) == kind


def test_scrub_message_removes_paths(settings_env):
    data_dir = str(get_settings().data_dir)
    message = (
        f'IO Error: Cannot open file "{data_dir}/datasets/3/abc.duckdb": No such file\n'
        "Also '/etc/passwd' and C:\\Users\\x\\secret.csv, ratio total/2 stays\n\nLINE 1: SELECT * FROM '/etc/passwd'"
    )
    scrubbed = warehouse.scrub_message(message)
    assert data_dir not in scrubbed and "/etc" not in scrubbed and "Users" not in scrubbed
    assert "LINE 1" not in scrubbed and "total/2 stays" in scrubbed
    assert scrubbed.startswith('IO Error: Cannot open file "<data>')


# --- execute -------------------------------------------------------------------------------------


def test_execute_matches_pandas(gapminder):
    result = warehouse.execute(
        gapminder,
        "SELECT continent, SUM(pop) AS total_pop, AVG(lifeExp) AS life FROM gapminder "
        "WHERE year = 2007 GROUP BY continent ORDER BY total_pop DESC",
    )
    frame = plotly.data.gapminder()
    expected = frame[frame.year == 2007].groupby("continent").agg(total_pop=("pop", "sum"), life=("lifeExp", "mean"))
    expected = expected.sort_values("total_pop", ascending=False)
    assert [row[0] for row in result.rows] == list(expected.index)
    assert [row[1] for row in result.rows] == [int(value) for value in expected.total_pop]
    assert [round(row[2], 9) for row in result.rows] == [round(value, 9) for value in expected.life]
    assert [(column.name, column.kind) for column in result.columns] == [
        ("continent", "text"), ("total_pop", "integer"), ("life", "number")
    ]
    assert result.row_count == 5 and not result.truncated
    assert result.sql.startswith('SELECT "continent", SUM("pop") AS "total_pop"') and result.sql.endswith("LIMIT 10001")
    assert result.duration_ms >= 0


def test_rows_are_json_safe(settings_env):
    def build(connection: duckdb.DuckDBPyConnection) -> None:
        connection.execute(
            "CREATE TABLE odd AS SELECT 1::BIGINT AS id, 12.50::DECIMAL(10,2) AS price, 'nan'::DOUBLE AS nan_value, "
            "'inf'::DOUBLE AS inf_value, DATE '2024-02-29' AS day, TIMESTAMP '2024-02-29 13:45:00' AS moment, "
            "TRUE AS flag, 'abc'::BLOB AS raw, '5c402dc5-c0cf-4e2b-82f4-b0cac72f3ebf'::UUID AS uid, "
            "[1, 2] AS list, {'x': 1.5::DECIMAL(3,1)} AS struct, INTERVAL 3 DAY AS span, TIME '10:30' AS clock, "
            "NULL::VARCHAR AS nothing"
        )

    source = make_dataset(build, "odd")
    result = warehouse.execute(source, "SELECT * FROM odd")
    assert result.rows == [[
        1, 12.5, None, None, "2024-02-29", "2024-02-29T13:45:00", True, "616263",
        "5c402dc5-c0cf-4e2b-82f4-b0cac72f3ebf", [1, 2], {"x": 1.5}, "3 days, 0:00:00", "10:30:00", None,
    ]]
    json.dumps(result.rows, allow_nan=False)
    kinds = {column.name: column.kind for column in result.columns}
    assert kinds == {
        "id": "integer", "price": "number", "nan_value": "number", "inf_value": "number", "day": "date",
        "moment": "datetime", "flag": "boolean", "raw": "other", "uid": "text", "list": "other",
        "struct": "other", "span": "other", "clock": "other", "nothing": "text",
    }


def test_truncation_keeps_the_full_row_count(tips):
    capped = warehouse.execute(tips, "SELECT * FROM tips ORDER BY total_bill DESC", max_rows=10)
    assert len(capped.rows) == 10 and capped.truncated and capped.row_count == 244
    assert capped.rows[0][0] == plotly.data.tips().total_bill.max()
    own_limit = warehouse.execute(tips, "SELECT * FROM tips LIMIT 5", max_rows=10)
    assert len(own_limit.rows) == 5 and not own_limit.truncated and own_limit.row_count == 5
    bigger_limit = warehouse.execute(tips, "SELECT * FROM tips LIMIT 100", max_rows=10)
    assert len(bigger_limit.rows) == 10 and bigger_limit.truncated and bigger_limit.row_count == 100
    exactly = warehouse.execute(tips, "SELECT * FROM tips WHERE size = 6", max_rows=4)
    assert len(exactly.rows) == 4 and not exactly.truncated and exactly.row_count == 4


def test_default_cap_comes_from_settings(tips, settings_env):
    settings_env(max_result_rows=50)
    result = warehouse.execute(tips, "SELECT * FROM tips")
    assert len(result.rows) == 50 and result.truncated and result.row_count == 244


def test_runaway_query_is_interrupted(tips):
    started = time.monotonic()
    with pytest.raises(Timeout) as caught:
        warehouse.execute(
            tips,
            "SELECT COUNT(*) FROM tips AS a, tips AS b, tips AS c, tips AS d "
            "WHERE a.tip * b.tip > c.tip + d.tip",
            timeout_s=0.5,
        )
    elapsed = time.monotonic() - started
    assert caught.value.status_code == 408
    assert "longer than 0.5 s" in caught.value.detail
    assert elapsed < 5


def test_default_timeout_comes_from_settings(tips, settings_env):
    settings_env(query_timeout_s=0.3)
    with pytest.raises(Timeout):
        # Every row pair's product is summed, so DuckDB cannot shortcut the 3.5 billion rows (a COUNT(*)
        # over the same cross join took only ~0.45 s and sometimes finished inside the 0.3 s limit).
        warehouse.execute(
            tips, "SELECT SUM(a.tip * b.tip * c.tip * d.tip) FROM tips AS a, tips AS b, tips AS c, tips AS d"
        )


def test_refused_sql_never_runs(tips):
    with pytest.raises(SqlRefused) as caught:
        warehouse.execute(tips, "SELECT * FROM read_csv('/etc/passwd')")
    assert caught.value.detail == "The function read_csv is not allowed: queries may only read your own tables."
    with pytest.raises(SqlRefused, match="not one of your tables; available: tips"):
        warehouse.execute(tips, "SELECT * FROM gapminder")


def test_database_errors_are_400_without_paths(tips, settings_env):
    with pytest.raises(QueryRejected) as caught:
        warehouse.execute(tips, "SELECT CAST(day AS INTEGER) FROM tips")
    assert caught.value.status_code == 400
    assert "Could not convert" in caught.value.detail
    assert str(get_settings().data_dir) not in caught.value.detail
    assert not re.search(r"(^|[\s'\"])/\w", caught.value.detail)


def test_broken_dataset_file_gives_a_message_without_paths(tips):
    path = dataset_path(tips)
    path.write_bytes(b"this is not a duckdb file" * 100)
    with pytest.raises(Conflict) as caught:
        warehouse.execute(tips, "SELECT * FROM tips")
    assert not isinstance(caught.value, QueryRejected)  # the file is at fault, not the question
    assert "damaged" in caught.value.detail and "upload the file again" in caught.value.detail
    assert str(path.parent) not in caught.value.detail and "/" not in caught.value.detail.replace("<path>", "")


def test_missing_dataset_file_is_not_found(tips):
    dataset_path(tips).unlink()
    with pytest.raises(NotFound):
        warehouse.execute(tips, "SELECT * FROM tips")


def test_table_name_with_spaces_and_case(settings_env):
    source = frame_dataset(plotly.data.iris(), "Iris Flowers")
    result = warehouse.execute(source, 'SELECT species, COUNT(*) AS n FROM "iris flowers" GROUP BY species ORDER BY 1')
    assert result.rows == [["setosa", 50], ["versicolor", 50], ["virginica", 50]]


def test_parallel_queries_on_one_dataset(tips):
    results: list[int] = []
    errors: list[Exception] = []

    def run() -> None:
        try:
            results.append(warehouse.execute(tips, "SELECT COUNT(*) FROM tips").rows[0][0])
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and results == [244] * 6


def test_spill_folders_are_removed_after_each_query(tips):
    warehouse.execute(tips, "SELECT * FROM tips ORDER BY tip")
    assert list((get_settings().data_dir / "spill").iterdir()) == []


# --- find_values ---------------------------------------------------------------------------------


def test_find_values_places_phrases_on_text_columns(gapminder):
    matches = warehouse.find_values(gapminder, ["france", "Europe", "FRA", "Atlantis", "2007", "france"])
    found = {(match.column, match.value, match.phrase) for match in matches}
    assert found == {
        ("country", "France", "france"), ("continent", "Europe", "Europe"), ("iso_alpha", "FRA", "FRA")
    }
    assert all(match.table == "gapminder" for match in matches)


def test_find_values_limit_and_empty_input(gapminder):
    countries = list(plotly.data.gapminder().country.unique()[:30])
    assert len(warehouse.find_values(gapminder, countries)) == 30
    assert len(warehouse.find_values(gapminder, countries, limit=7)) == 7
    assert warehouse.find_values(gapminder, []) == []
    assert warehouse.find_values(gapminder, ["", "   ", "x" * 500]) == []


def test_find_values_treats_phrases_as_data(gapminder):
    assert warehouse.find_values(gapminder, ["') OR 1=1 --", "France'; DROP TABLE gapminder; --"]) == []
    assert warehouse.execute(gapminder, "SELECT COUNT(*) FROM gapminder").rows == [[1704]]


def test_find_values_ignores_case_and_spaces_around_stored_values(settings_env):
    frame = pd.DataFrame({
        "country": [" France", "France ", "france", "  Spain  ", "Peru", "New  Zealand", " France", "Chile"],
        "visits": [1, 2, 3, 4, 5, 6, 7, 8],
    })
    source = frame_dataset(frame, "trips")
    matches = warehouse.find_values(source, ["FRANCE", "spain", " peru ", "new zealand", "chil"])
    assert sorted((match.value, match.phrase) for match in matches) == [
        ("  Spain  ", "spain"), (" France", "FRANCE"), ("France ", "FRANCE"), ("Peru", " peru "),
        ("france", "FRANCE"),
    ]
    # Each value comes back exactly as stored, so filtering on it finds its rows.
    for match in matches:
        query = exp.select(exp.func("SUM", exp.column("visits"))).from_("trips").where(
            exp.column("country").eq(exp.Literal.string(match.value))
        )
        expected = int(frame.loc[frame.country == match.value, "visits"].sum())
        assert warehouse.execute(source, query.sql("duckdb")).rows == [[expected]]


def test_find_values_scans_a_bounded_number_of_rows(settings_env):
    def build(connection: duckdb.DuckDBPyConnection) -> None:
        connection.execute(
            "CREATE TABLE events AS SELECT i, CASE WHEN i = 49999 THEN 'Rare' ELSE 'Common' END AS label "
            "FROM range(50000) AS r(i)"
        )

    source = make_dataset(build, "events")
    settings_env(value_search_rows=1000)
    assert [match.value for match in warehouse.find_values(source, ["rare", "common"])] == ["Common"]
    settings_env(value_search_rows=100000)
    assert sorted(match.value for match in warehouse.find_values(source, ["rare", "common"])) == ["Common", "Rare"]


def test_find_values_is_fast_on_ten_million_rows(settings_env):
    def build(connection: duckdb.DuckDBPyConnection) -> None:
        connection.execute(
            "CREATE TABLE big AS SELECT i, "
            "(['France', 'Spain', 'Italy', 'Chile', 'Peru', 'Japan', 'Kenya', 'Togo'])[(i % 8)::INT + 1] AS country, "
            "(['Dinner', 'Lunch'])[(i % 2)::INT + 1] AS meal, (i % 1000)::VARCHAR AS code FROM range(10000000) AS r(i)"
        )

    source = make_dataset(build, "big")
    started = time.monotonic()
    matches = warehouse.find_values(source, ["france", "dinner", "Atlantis", "breakfast", "peru"])
    elapsed = time.monotonic() - started
    assert {(match.column, match.value) for match in matches} == {
        ("country", "France"), ("meal", "Dinner"), ("country", "Peru")
    }
    assert elapsed < 5, f"value lookup took {elapsed:.2f}s"


def test_find_values_on_a_table_with_its_own_rowid_column(settings_env):
    frame = pd.DataFrame({"rowid": ["r1", "r2", "r3"], "city": ["Lyon", "Oslo", "Lima"]})
    source = frame_dataset(frame, "places")
    settings_env(value_search_rows=2)
    matches = warehouse.find_values(source, ["lyon", "LIMA", "r2"])
    # The bound falls back to the first rows; the user's "rowid" is searched like any text column.
    assert {(match.column, match.value) for match in matches} == {("city", "Lyon"), ("rowid", "r2")}


# --- deadlines racing completion -----------------------------------------------------------------


def _sandbox_threads_left(wait_s: float = 5.0) -> list[threading.Thread]:
    """Sandbox worker threads still running after `wait_s` (they end right after their answer is taken)."""
    for thread in threading.enumerate():
        if thread.name == "lumiere-sandbox":
            thread.join(timeout=wait_s)
    return [thread for thread in threading.enumerate() if thread.name == "lumiere-sandbox"]


@pytest.mark.timeout(120)
def test_timeouts_racing_completion_in_parallel_never_hang(tips):
    """Deadlines spread around the queries' own duration, so interrupts land as queries finish and close.

    An interrupt that reached a closing or closed connection would raise out of `execute` here.
    """
    sql = "SELECT a.day, COUNT(*) AS n FROM tips AS a, tips AS b WHERE a.tip > b.tip GROUP BY a.day ORDER BY a.day"
    pairs = plotly.data.tips().merge(plotly.data.tips(), how="cross").query("tip_x > tip_y")
    expected = [[day, int(count)] for day, count in pairs.groupby("day_x").size().items()]
    outcomes: list[tuple[str, float]] = []
    failures: list[BaseException] = []

    def worker(timeouts: list[float]) -> None:
        for timeout in timeouts:
            started = time.monotonic()
            try:
                rows = warehouse.execute(tips, sql, timeout_s=timeout).rows
                outcomes.append(("rows" if rows == expected else f"wrong rows: {rows}", time.monotonic() - started))
            except Timeout:
                outcomes.append(("timeout", time.monotonic() - started))
            except BaseException as error:  # collected and asserted below
                failures.append(error)

    def in_parallel(timeouts_per_thread: list[list[float]]) -> None:
        workers = [threading.Thread(target=worker, args=(timeouts,), daemon=True) for timeouts in timeouts_per_thread]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(timeout=90)
        assert not any(thread.is_alive() for thread in workers), "a query neither finished nor timed out"
        assert failures == []

    in_parallel([[30.0]] * 4)  # how long one query takes with four running at once, on this machine now
    typical = sorted(duration for _, duration in outcomes)[2]
    outcomes.clear()
    spread = [[typical * (0.2 + 1.8 * ((thread * 25 + step) * 0.618 % 1)) for step in range(25)] for thread in range(4)]
    in_parallel(spread)
    assert len(outcomes) == 100 and {outcome for outcome, _ in outcomes} == {"rows", "timeout"}, outcomes
    assert _sandbox_threads_left() == []
    assert list((get_settings().data_dir / "spill").iterdir()) == []
