"""Faults the app survives (issue 16), over HTTP on both app databases:

- PostgreSQL drops every connection (what a restart does to a pool): the next request succeeds.
- The LLM server hangs: the deadline fires and the built-in engine answers.
- The disk fills during an upload (a real 4 MB tmpfs as the data folder): 507 with a message, nothing kept,
  and the same upload succeeds once there is room.
- A dataset file is corrupted: that source says so (409), the user's other sources work.
- Redis stops while configured (a private redis-server): questions are still answered, results cached and
  limits counted in memory with a logged warning, each request quick; once it is back, both return to Redis.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import plotly.data
import pytest
import redis
from sqlalchemy import create_engine, make_url, text
from sqlmodel import select

from lumiere.config import reset_settings
from lumiere.db import session_scope
from lumiere.models import Query, Source
from lumiere.services import rate_limits, result_cache
from lumiere.storage.datasets import dataset_path
from tests.api.test_data import TIPS, source_rows, stored_files, upload
from tests.api.test_rate_limits_api import _assert_limited, _on_plan
from tests.conftest import PG_ADMIN_URL
from tests.helpers.redis_server import RedisServer

QUESTION = "How many rows are there for each continent?"


def _ask(client, user, source_id: int, question: str = QUESTION):
    return client.post("/api/ai/query", json={"source_id": source_id, "question": question}, headers=user["headers"])


# --- PostgreSQL restarts --------------------------------------------------------------------------


def test_requests_succeed_after_postgres_drops_every_connection(client, make_user, app_db):
    if not app_db.startswith("postgresql"):
        pytest.skip("connections to drop exist on PostgreSQL only")
    user = make_user()
    sample = client.post("/api/data/sample", headers=user["headers"]).json()
    assert _ask(client, user, sample["id"]).status_code == 200  # the pool now holds open connections

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        dropped = connection.execute(
            text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                 "WHERE datname = :name AND pid <> pg_backend_pid()"),
            {"name": make_url(app_db).database},
        ).scalar_one()
    admin.dispose()
    assert dropped >= 1

    started = time.monotonic()
    assert client.get("/api/data/sources", headers=user["headers"]).json()["total"] == 1
    again = _ask(client, user, sample["id"])
    assert again.status_code == 200, again.text
    assert time.monotonic() - started < 10


# --- the LLM server hangs ----------------------------------------------------------------------


def test_a_hanging_llm_server_leaves_the_answer_to_the_builtin_engine(client, make_user, fake_llm, monkeypatch):
    monkeypatch.setenv("LUMIERE_LLM_TIMEOUT_S", "1")
    monkeypatch.setenv("LUMIERE_LLM_DEADLINE_S", "3")
    reset_settings()
    user = make_user()
    sample = client.post("/api/data/sample", headers=user["headers"]).json()
    fake_llm.reply_status(401, {"error": {"message": "no"}})  # a warm-up answer by the built-in engine
    assert _ask(client, user, sample["id"]).json()["engine"] == "builtin"
    for _ in range(10):
        fake_llm.reply_delay(120.0, {"sql": "SELECT 1"})  # accepts the request, then says nothing

    started = time.monotonic()
    answered = _ask(client, user, sample["id"])
    elapsed = time.monotonic() - started

    assert answered.status_code == 200, answered.text
    body = answered.json()
    assert body["engine"] == "builtin"
    counts = plotly.data.gapminder().groupby("continent").size().to_dict()
    assert {row[0]: row[1] for row in body["rows"]} == counts or {row[1]: row[0] for row in body["rows"]} == counts
    assert 3 - 0.5 <= elapsed < 3 + 4, f"the 3 s deadline held: {elapsed:.1f}s"
    assert fake_llm.chat_requests


# --- the disk fills during an upload -----------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path, app_db, monkeypatch) -> Iterator[Path]:
    """A 4 MB tmpfs as the data folder: a real filesystem that really fills (needs root, as in CI)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(mount_point)],
                             check=False, capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    monkeypatch.setenv("LUMIERE_DATA_DIR", str(mount_point))
    reset_settings()
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)
    reset_settings()


def _csv(megabytes: float) -> bytes:
    line = b"%d,north,%d.25,some words that take room in the file\n"
    rows = [b"id,region,amount,note\n"]
    size, i = 0, 0
    while size < megabytes * 1_000_000:
        row = line % (i, i * 7)
        rows.append(row)
        size += len(row)
        i += 1
    return b"".join(rows)


def test_a_full_disk_during_an_upload_is_507_and_leaves_nothing(client, make_user, small_disk):
    user = make_user()
    too_big = _csv(6)  # does not even stage

    refused = upload(client, user, too_big, filename="big.csv")
    assert refused.status_code == 507, refused.text
    assert "disk space" in refused.json()["detail"] and str(small_disk) not in refused.json()["detail"]
    assert stored_files(small_disk) == [] and source_rows() == []

    stages_but_no_room_to_load = _csv(2.5)  # the staged 2.5 MB plus DuckDB's file do not fit in 4 MB
    refused = upload(client, user, stages_but_no_room_to_load, filename="mid.csv")
    assert refused.status_code == 507, refused.text
    assert stored_files(small_disk) == [] and source_rows() == []
    assert not [p for p in small_disk.rglob("*") if p.is_file() and p.suffix in (".duckdb", ".wal", ".upload")]

    accepted = upload(client, user, TIPS)  # room for a small file: the app goes on
    assert accepted.status_code == 201, accepted.text


# --- a corrupted dataset file -------------------------------------------------------------------


def test_a_corrupted_dataset_file_is_reported_and_other_sources_work(client, make_user):
    user = make_user()
    tips = upload(client, user, TIPS).json()
    sample = client.post("/api/data/sample", headers=user["headers"]).json()
    with session_scope() as session:
        path = dataset_path(session.exec(select(Source).where(Source.id == sample["id"])).one())
    os.chmod(path, 0o640)
    size = path.stat().st_size
    with path.open("r+b") as broken:  # a torn write: the header survives, the blocks are garbage
        broken.seek(4096)
        broken.write(os.urandom(min(size - 4096, 64 * 1024)))
    other_user = make_user()
    other = client.post("/api/data/sample", headers=other_user["headers"]).json()

    for response in (
        client.get(f"/api/data/source/{sample['id']}/preview?limit=3", headers=user["headers"]),
        _ask(client, user, sample["id"]),
    ):
        assert response.status_code == 409, response.text
        detail = response.json()["detail"]
        assert "damaged" in detail and "upload the file again" in detail and str(path) not in detail

    assert client.get(f"/api/data/source/{tips['id']}/preview?limit=3", headers=user["headers"]).status_code == 200
    assert _ask(client, other_user, other["id"]).status_code == 200  # the same dataset, another file: fine
    tips_answer = _ask(client, user, tips["id"], "total bill by day")
    assert tips_answer.status_code == 200, tips_answer.text
    with session_scope() as session:
        assert session.exec(select(Query).where(Query.source_id == tips["id"])).first() is not None


# --- Redis stops -----------------------------------------------------------------------------------


def _timed_ask(client, user, source_id: int, question: str):
    """An ask that must stay quick whether Redis answers or not (its socket timeouts are short)."""
    started = time.monotonic()
    response = _ask(client, user, source_id, question)
    assert time.monotonic() - started < 5, f"{question!r} took {time.monotonic() - started:.1f}s"
    return response


def _cached(client, user, source_id: int, question: str) -> list[bool]:
    """Ask twice: whether each answer came from the result cache."""
    answers = [_timed_ask(client, user, source_id, question) for _ in range(2)]
    assert [answer.status_code for answer in answers] == [200, 200], answers[-1].text
    return [answer.json()["cached"] for answer in answers]


def _until_limited(client, user, source_id: int) -> int:
    """Questions answered before the 429 (at most 10), which must carry Retry-After."""
    for answered in range(10):
        response = _timed_ask(client, user, source_id, "how many rows")
        if response.status_code != 200:
            _assert_limited(response, "Too many questions")
            return answered
    raise AssertionError("no 429 after 10 questions")


@pytest.mark.parametrize("outage", ["stopped", "hung"])
def test_limits_and_cache_fall_back_to_memory_while_redis_is_down(client, make_user, tmp_path, monkeypatch, caplog,
                                                                  outage):
    server = RedisServer(tmp_path / "redis")
    server.start()
    store = redis.Redis.from_url(server.url, socket_timeout=2)
    monkeypatch.setenv("LUMIERE_REDIS_URL", server.url)
    reset_settings()
    rate_limits.reset()
    result_cache.reset()
    asker, limited = make_user(), make_user()
    _on_plan(client, limited, "tiny", 3)
    source = client.post("/api/data/sample", headers=asker["headers"]).json()["id"]
    limited_source = client.post("/api/data/sample", headers=limited["headers"]).json()["id"]

    def keys(pattern: str) -> set[bytes]:
        return set(store.scan_iter(match=pattern))

    try:
        # Redis up: results and counts are kept there.
        assert _cached(client, asker, source, "rows per continent") == [False, True]
        assert len(keys(f"*:results:{source}:*")) == 1
        assert _timed_ask(client, limited, limited_source, "how many rows").status_code == 200
        assert keys("*:limits*questions*"), "question counts are in Redis"

        # Redis down (refusing connections, or accepting them and never answering): answers go on, results
        # and counts in memory (the limited user starts over there: 3 more questions, where Redis, holding 1,
        # would allow 2), each request still quick.
        if outage == "stopped":
            server.stop()
        else:
            server.pause()
        with caplog.at_level(logging.WARNING):
            assert _cached(client, asker, source, "rows per continent") == [False, True]
            assert _until_limited(client, limited, limited_source) == 3
        warned = {record.name for record in caplog.records if "Redis cannot be reached" in record.message}
        assert warned == {"lumiere.services.rate_limits", "lumiere.services.result_cache"}, caplog.text

        # Redis back, after the retry pause: new results and counts go to Redis again.
        if outage == "stopped":
            server.start()  # same port, same append-only file
        else:
            server.resume()
        monkeypatch.setattr(rate_limits, "REDIS_RETRY_S", 0.0)
        monkeypatch.setattr(result_cache, "REDIS_RETRY_S", 0.0)
        assert _cached(client, asker, source, "rows per country") == [False, True]
        assert len(keys(f"*:results:{source}:*")) == 2
        assert _until_limited(client, limited, limited_source) == 2  # Redis still holds the first question
    finally:
        store.close()
        server.stop()
