"""warehouse.stream on uploads: every row in batches through a query worker, the guard without its
row cap, early exits and deadlines that leave the worker usable, and bounded memory for a million rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import plotly.data
import pytest

from lumiere.config import PROJECT_ROOT, reset_settings
from lumiere.core.errors import Timeout
from lumiere.services import query_workers, warehouse
from lumiere.services.sqlguard import SqlRefused
from tests.helpers.datasets import frame_dataset, make_dataset


@pytest.fixture
def settings_env(monkeypatch):
    """Set LUMIERE_* settings for one test; the worker pool starts afresh with them."""

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"LUMIERE_{name.upper()}", value)
        reset_settings()

    yield set_env
    monkeypatch.undo()
    reset_settings()


def _numbers(count: int):
    def build(db) -> None:
        db.execute(f"CREATE TABLE n AS SELECT range AS i FROM range({count})")

    return build


def _all_rows(source, sql: str, **options) -> tuple[list[str], list[list]]:
    with warehouse.stream(source, sql, **options) as stream:
        names = [column.name for column in stream.columns]
        return names, [row for batch in stream.batches for row in batch]


def test_every_row_comes_in_batches_past_the_page_cap(settings_env) -> None:
    settings_env(max_result_rows="10")
    tips = plotly.data.tips()
    source = frame_dataset(tips, "tips")
    with warehouse.stream(source, "SELECT * FROM tips", batch_rows=50) as stream:
        sizes = [len(batch) for batch in stream.batches]
        assert [column.kind for column in stream.columns][:2] == ["number", "number"]
        assert "LIMIT" not in stream.sql.upper()
    assert sizes == [50, 50, 50, 50, 44]
    names, rows = _all_rows(source, "SELECT * FROM tips", batch_rows=100)
    assert names == list(tips.columns)
    assert rows == [list(row) for row in tips.itertuples(index=False)]
    assert warehouse.execute(source, "SELECT * FROM tips").truncated  # the page still stops at its cap


def test_the_users_own_limit_still_holds() -> None:
    source = frame_dataset(plotly.data.tips(), "tips")
    assert len(_all_rows(source, "SELECT * FROM tips ORDER BY total_bill DESC LIMIT 7")[1]) == 7


def test_values_come_as_json_safe_data() -> None:
    source = frame_dataset(plotly.data.stocks(), "stocks")
    sql = ("SELECT CAST(\"date\" AS DATE) AS day, CAST(\"date\" AS TIMESTAMP) AS moment, 'nan'::DOUBLE AS nan, "
           "'inf'::DOUBLE AS inf, 1.25::DECIMAL(6,2) AS price, GOOG > 1 AS up, [1, 2] AS pair "
           "FROM stocks ORDER BY day LIMIT 1")
    names, rows = _all_rows(source, sql)
    assert names == ["day", "moment", "nan", "inf", "price", "up", "pair"]
    assert rows == [["2018-01-01", "2018-01-01 00:00:00", None, None, 1.25, False, [1, 2]]]


def test_the_guard_and_the_plan_check_still_stand() -> None:
    source = frame_dataset(plotly.data.tips(), "tips")
    for sql in ("SELECT * FROM read_csv('/etc/passwd')", "DROP TABLE tips", "SELECT * FROM duckdb_settings()"):
        with pytest.raises(SqlRefused), warehouse.stream(source, sql):
            pass


def test_leaving_early_stops_the_query_and_keeps_the_worker() -> None:
    source = make_dataset(_numbers(3_000_000), "n")
    pids = sorted(query_workers.current_pool().pids())
    started = time.monotonic()
    with warehouse.stream(source, "SELECT i, i * 2 AS twice FROM n", batch_rows=1000) as stream:
        first = next(stream.batches)
    assert len(first) == 1000 and first[0] == [0, 0]
    assert time.monotonic() - started < 10
    assert sorted(query_workers.current_pool().pids()) == pids  # interrupted and drained, not killed
    assert warehouse.execute(source, "SELECT COUNT(*) FROM n").rows == [[3_000_000]]


def test_the_export_deadline_covers_a_slow_reader(settings_env) -> None:
    settings_env(export_timeout_s="1.5")
    source = make_dataset(_numbers(200_000), "n")
    stream = warehouse.stream(source, "SELECT * FROM n", batch_rows=1000)
    with pytest.raises(Timeout, match=r"1\.5 s"), stream as rows:
        for _batch in rows.batches:
            time.sleep(0.2)
    assert warehouse.execute(source, "SELECT MAX(i) FROM n").rows == [[199_999]]


def _measured_export(storage_key: str, sql: str) -> dict:
    spec = {"storage_key": storage_key, "table": "big", "sql": sql, "format": "csv"}
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "LUMIERE_QUERY_WORKERS": "1"}
    done = subprocess.run([sys.executable, "-m", "tests.helpers.export_memory", json.dumps(spec)],
                          capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_a_million_rows_export_in_bounded_memory() -> None:
    """Peak RSS of the exporting process and of its query worker, each measured in a fresh process,
    for 100,000 and for 1,000,000 rows: ten times the rows, and neither peak grows by more than a
    small part of the data (the CSV alone is ~90 MB; as Python rows it would be several times that)."""
    gapminder = plotly.data.gapminder()

    def build(db) -> None:
        db.register("g", gapminder)
        db.execute("CREATE TABLE big AS SELECT g.*, r.i AS copy, repeat(g.country, 4) AS note "
                   "FROM g CROSS JOIN range(600) r(i) LIMIT 1000000")

    key = str(make_dataset(build, "big").storage_key)
    small = _measured_export(key, "SELECT * FROM big LIMIT 100000")
    large = _measured_export(key, "SELECT * FROM big")
    assert small["rows"] == 100_000 and small["lines"] == 100_001
    assert large["rows"] == 1_000_000 and large["lines"] == 1_000_001
    data_mb = (large["bytes"] - small["bytes"]) / 2**20
    assert data_mb > 70
    for report in (small, large):
        assert report["app_peak_mb"] - report["app_before_mb"] < 30, report
    assert large["worker_peak_mb"] - small["worker_peak_mb"] < data_mb / 4, (small, large)
    assert large["app_peak_mb"] - small["app_peak_mb"] < data_mb / 4, (small, large)


@pytest.mark.parametrize(("sql", "rendered_limit"), [
    ("SELECT * FROM tips", None),
    ("SELECT * FROM tips LIMIT 20000", "LIMIT 20000"),
    ("SELECT * FROM tips FETCH FIRST 5 ROWS ONLY", "LIMIT 5"),
])
def test_the_guard_without_a_cap_keeps_only_the_users_limit(sql: str, rendered_limit: str | None) -> None:
    from lumiere.services.sqlguard import guard_sql

    guarded = guard_sql(sql, dialect="duckdb", allowed_tables=["tips"], row_cap=None)
    assert not guarded.limited and guarded.count_sql is None
    if rendered_limit is None:
        assert "LIMIT" not in guarded.sql.upper()
    else:
        assert guarded.sql.upper().endswith(rendered_limit)
    with pytest.raises(SqlRefused, match="PERCENT"):
        guard_sql("SELECT * FROM tips LIMIT 10 PERCENT", dialect="duckdb", allowed_tables=["tips"], row_cap=None)


def test_a_download_that_stops_part_way_stops_the_export() -> None:
    """A client that goes away closes the response's iterator: the writer thread and the query stop,
    and the worker comes back idle."""
    import threading
    from datetime import UTC, datetime

    from lumiere.core.enums import ExportFormat
    from lumiere.services.exports import ExportSubject
    from lumiere.services.exports.downloads import CHUNK_BYTES, export_chunks

    source = make_dataset(_numbers(3_000_000), "n")
    subject = ExportSubject(title="n", question="", source=source, sql="SELECT i, i * 2 AS twice FROM n",
                            chart=None, ran_at=datetime.now(UTC))
    pids = sorted(query_workers.current_pool().pids())
    chunks = export_chunks(subject, ExportFormat.CSV)
    first = next(chunks)
    assert first.startswith(b"\xef\xbb\xbfi,twice\r\n0,0\r\n") and len(first) >= CHUNK_BYTES
    chunks.close()  # type: ignore[attr-defined]
    deadline = time.monotonic() + 10
    while any(thread.name == "export-writer" for thread in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(thread.name == "export-writer" for thread in threading.enumerate())
    assert sorted(query_workers.current_pool().pids()) == pids
    assert warehouse.execute(source, "SELECT COUNT(*) FROM n").rows == [[3_000_000]]
