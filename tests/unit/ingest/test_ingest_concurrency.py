"""Uploads never wait for queries and queries never wait for uploads, across processes.

Real processes (spawned, like separate workers) and real files: two processes query one dataset
of a user in a loop while another process and this one each upload a file of the same name for
that user. Every query and both uploads must succeed, the queries must keep running during the
uploads, and the two uploads must get different table names.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from pathlib import Path

import duckdb
import pytest

from lumiere.config import reset_settings
from lumiere.db import saved_id, session_scope
from lumiere.models import Source, User
from lumiere.services import sources, warehouse
from lumiere.services.auth import register_user
from tests.helpers.rows import stored

UPLOAD_ROWS = 250_000


def _use(database_url: str, data_dir: str) -> None:
    os.environ["LUMIERE_DATABASE_URL"] = database_url
    os.environ["LUMIERE_DATA_DIR"] = data_dir
    reset_settings()


def query_loop(database_url: str, data_dir: str, source_id: int, ready, stop, results) -> None:
    """Runs guarded queries on one dataset until told to stop; reports (start, end) of each."""
    _use(database_url, data_dir)
    with session_scope() as session:
        source = stored(session, Source, source_id)
        session.expunge(source)
    spans: list[tuple[float, float]] = []
    errors: list[str] = []
    while not stop.is_set() and len(spans) < 10_000:
        started = time.monotonic()
        try:
            result = warehouse.execute(
                source, "SELECT continent, avg(lifeExp) AS life FROM gapminder GROUP BY continent ORDER BY continent"
            )
            assert result.row_count == 5
        except Exception as error:  # reported to the test, which fails on any
            errors.append(repr(error))
        spans.append((started, time.monotonic()))
        if len(spans) == 1:
            ready.put(os.getpid())
    results.put({"spans": spans, "errors": errors})


def upload_file(database_url: str, data_dir: str, user_id: int, csv_path: str, results) -> None:
    _use(database_url, data_dir)
    results.put(_upload(user_id, Path(csv_path)))


def _upload(user_id: int, csv_path: Path) -> dict:
    async def chunks():
        with csv_path.open("rb") as handle:
            while data := handle.read(1 << 20):
                yield data

    started = time.monotonic()
    with session_scope() as session:
        user = stored(session, User, user_id)
        source = asyncio.run(sources.ingest_upload(session, user, filename="orders.csv", chunks=chunks()))
        table = source.table_name
    return {"table": table, "started": started, "ended": time.monotonic()}


@pytest.fixture
def orders_csv(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT i AS order_id, DATE '2024-01-01' + (i % 365)::INTEGER AS day, "
            f"(['North','South','East','West'])[1 + i % 4] AS region, round((i % 1000) / 7.0, 2) AS amount "
            f"FROM range({UPLOAD_ROWS}) t(i)) TO '{path}' (HEADER)"
        )
    return path


@pytest.mark.slow
def test_uploads_and_queries_from_other_processes_do_not_block_each_other(app_db, data_dir, orders_csv):
    with session_scope() as session:
        user = register_user(session, email="busy@example.com", password="password-1", name="Busy")
        gapminder = sources.load_sample_dataset(session, user)
        user_id, source_id = saved_id(user), saved_id(gapminder)

    context = multiprocessing.get_context("spawn")
    ready, stop, results, uploads = context.Queue(), context.Event(), context.Queue(), context.Queue()
    queriers = [
        context.Process(target=query_loop, args=(app_db, str(data_dir), source_id, ready, stop, results))
        for _ in range(2)
    ]
    for process in queriers:
        process.start()
    uploader = context.Process(target=upload_file, args=(app_db, str(data_dir), user_id, str(orders_csv), uploads))
    try:
        for _ in queriers:
            ready.get(timeout=120)  # both query processes are running
        uploader.start()
        here = _upload(user_id, orders_csv)
        there = uploads.get(timeout=120)
        time.sleep(0.5)
    finally:
        stop.set()
        reports = [results.get(timeout=60) for _ in queriers]
        for process in [*queriers, uploader]:
            process.join(timeout=60)

    assert [report["errors"] for report in reports] == [[], []]
    assert sorted([here["table"], there["table"]]) == ["orders", "orders_2"]
    window = (min(here["started"], there["started"]), max(here["ended"], there["ended"]))
    for report in reports:
        during = [span for span in report["spans"] if window[0] <= span[0] <= window[1]]
        assert len(during) >= 3, "queries stopped while the uploads ran"
        assert max(end - start for start, end in during) < 10
    with session_scope() as session:
        user = stored(session, User, user_id)
        assert [s.row_count for s in sources.list_sources(session, user)] == [UPLOAD_ROWS, UPLOAD_ROWS, 1704]
        for source in sources.list_sources(session, user):
            assert warehouse.execute(source, f'SELECT count(*) FROM "{source.table_name}"').rows[0][0] == (
                source.row_count)
