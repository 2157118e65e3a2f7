"""The result cache: hits for the same SQL on the same data, misses once the data changes or the
source is deleted, a TTL for external databases, Redis shared by workers and memory when it is down."""

from __future__ import annotations

import logging
import secrets
import shutil
import time
from collections.abc import Iterator

import psycopg2
import pytest

from lumiere.config import reset_settings
from lumiere.core.lru import BoundedLru
from lumiere.db import saved_id, session_scope
from lumiere.models import Source
from lumiere.services import result_cache, sources, warehouse
from lumiere.services.auth import register_user
from lumiere.storage.datasets import dataset_path, new_storage_key, path_for_key

SQL = 'SELECT continent, COUNT(*) AS n FROM gapminder GROUP BY continent ORDER BY continent'
SAME_SQL = 'select  continent,\n count(*) as n\nfrom gapminder group by continent order by continent'
PG_DSN = {"host": "127.0.0.1", "port": 5432, "dbname": "test", "user": "postgres"}


@pytest.fixture(autouse=True)
def _fresh(monkeypatch) -> Iterator[None]:
    monkeypatch.delenv("LUMIERE_REDIS_URL", raising=False)
    monkeypatch.delenv("REFLEX_REDIS_URL", raising=False)
    monkeypatch.setenv("LUMIERE_JOB_QUEUE_NAME", f"lumiere_test_{secrets.token_hex(6)}")  # its own Redis keys
    reset_settings()
    result_cache.reset()
    yield
    result_cache.reset()
    reset_settings()


def _settings(monkeypatch, **values: object) -> None:
    for name, value in values.items():
        monkeypatch.setenv(f"LUMIERE_{name.upper()}", str(value))
    reset_settings()
    result_cache.reset()


@pytest.fixture
def sample(app_db) -> Source:
    with session_scope() as session:
        user = register_user(session, email="cache@example.com", password="correct horse", name="Cache")
        source = sources.load_sample_dataset(session, user)
        session.expunge(source)
    return source


def test_the_lru_keeps_within_entries_and_bytes_and_lets_entries_expire() -> None:
    lru: BoundedLru[str, bytes] = BoundedLru(max_entries=3, max_bytes=1000)
    for name in "abcd":
        assert lru.put(name, b"x" * 50, 50)
    assert lru.get("a") is None and len(lru) == 3  # the oldest went
    assert lru.get("b") is not None  # now the newest
    for name in "efg":
        lru.put(name, b"y" * 90, 90)
    assert lru.get("b") is None and lru.size_bytes <= 1000
    assert not lru.put("huge", b"z" * 200, 200)  # over a tenth of the bytes: not kept
    lru.put("brief", b"t", 1, ttl_s=0.05)
    time.sleep(0.06)
    assert lru.get("brief") is None
    assert lru.drop(lambda key: key in ("f", "g")) == 2 and len(lru) == 0


def test_the_same_sql_on_the_same_data_is_a_hit_however_it_is_spaced(sample: Source) -> None:
    first = warehouse.execute(sample, SQL)
    again = warehouse.execute(sample, SAME_SQL)
    assert not first.cached and again.cached
    assert (again.rows, again.row_count, again.column_names) == (first.rows, first.row_count, first.column_names)
    assert not warehouse.execute(sample, SQL, max_rows=3).cached  # another row cap: another result
    assert warehouse.execute(sample, SQL, max_rows=3).cached


def test_a_replaced_dataset_misses_and_a_deleted_source_is_forgotten(sample: Source) -> None:
    warehouse.execute(sample, SQL)
    replaced_key = new_storage_key(sample.user_id)
    target = path_for_key(replaced_key)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(dataset_path(sample), target)
    sample.storage_key = replaced_key  # the same source, another file: another version
    assert not warehouse.execute(sample, SQL).cached
    key = result_cache.cache_key(sample, warehouse.check_sql(sample, SQL).sql, 10_000)
    assert key is not None and result_cache.lookup(key, time.monotonic()) is not None
    with session_scope() as session:
        owner = session.get(Source, sample.id)
        assert owner is not None
        from lumiere.models import User

        user = session.get(User, owner.user_id)
        assert user is not None
        sources.delete_source(session, user, saved_id(owner))
    assert result_cache.lookup(key, time.monotonic()) is None


@pytest.fixture
def pg_source(monkeypatch) -> Iterator[tuple[Source, psycopg2.extensions.connection, str]]:
    monkeypatch.setenv("LUMIERE_ALLOW_PRIVATE_HOSTS", "true")
    reset_settings()
    schema = f"lumiere_cache_{secrets.token_hex(4)}"
    admin = psycopg2.connect(**PG_DSN)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema}"')
        cursor.execute(f'CREATE TABLE "{schema}".orders (amount int)')
        cursor.execute(f'INSERT INTO "{schema}".orders VALUES (1), (2)')
    source = Source(
        id=10_000 + secrets.randbelow(10_000), user_id=1, name="orders db", kind="postgresql",
        connection_json={"host": "127.0.0.1", "port": 5432, "database": "test", "user": "postgres", "schema": schema},
        tables_json=[{"name": "orders", "row_count": 2, "columns": [{"name": "amount", "type": "integer"}]}],
    )
    yield source, admin, schema
    with admin.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')
    admin.close()


def test_external_results_live_for_the_ttl_only(pg_source, monkeypatch) -> None:
    source, admin, schema = pg_source
    _settings(monkeypatch, external_cache_ttl_s=1)
    count = "SELECT COUNT(*) AS n FROM orders"
    assert warehouse.execute(source, count).rows == [[2]]
    with admin.cursor() as cursor:
        cursor.execute(f'INSERT INTO "{schema}".orders VALUES (3)')
    kept = warehouse.execute(source, count)
    assert kept.cached and kept.rows == [[2]]  # within the TTL: the kept answer
    time.sleep(1.05)
    fresh = warehouse.execute(source, count)
    assert not fresh.cached and fresh.rows == [[3]]
    _settings(monkeypatch, external_cache_ttl_s=0)  # 0: external results are never kept
    assert not warehouse.execute(source, count).cached and not warehouse.execute(source, count).cached


def test_results_are_shared_through_redis(sample: Source, monkeypatch) -> None:
    _settings(monkeypatch, redis_url="redis://127.0.0.1:6379/0")
    assert not warehouse.execute(sample, SQL).cached
    result_cache.reset()  # another worker: nothing in its memory, the result in Redis
    assert warehouse.execute(sample, SQL).cached
    result_cache.forget_source(saved_id(sample))
    assert not warehouse.execute(sample, SQL).cached


def test_redis_down_keeps_results_in_memory_with_a_warning(sample: Source, monkeypatch, caplog) -> None:
    _settings(monkeypatch, redis_url="redis://127.0.0.1:1/0")
    with caplog.at_level(logging.WARNING, logger="lumiere.services.result_cache"):
        assert not warehouse.execute(sample, SQL).cached
    assert "Redis cannot be reached" in caplog.text
    assert warehouse.execute(sample, SQL).cached
