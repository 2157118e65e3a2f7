"""Query results kept for the next time the same SQL runs on the same data.

The key is (source, the dataset's version, the SQL as the guard rendered it, the row cap). The
guard re-renders every statement with sqlglot, so spacing and keyword case do not make two keys.
An upload's file is immutable (its key, modification time and size are its version), so its results
hold until the source is replaced or deleted; an external database changes behind our back, so its
results are reused for `external_cache_ttl_s` only (0: never).

Where: a bounded in-process LRU by default; Redis when `settings.redis_url` is set, so that every
worker shares the results. When Redis cannot be reached the cache says so in the log and keeps
results in memory, trying Redis again after REDIS_RETRY_S. Values are JSON (never pickle: a shared
store must not be able to run code in the app).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Protocol, TypeVar

import redis
from redis.exceptions import RedisError

from lumiere.config import get_settings
from lumiere.core.lru import BoundedLru
from lumiere.core.resultset import ResultColumn, ResultSet
from lumiere.models import Source
from lumiere.storage.datasets import dataset_path

logger = logging.getLogger(__name__)
REDIS_TIMEOUT_S = 0.5
REDIS_RETRY_S = 30.0
T = TypeVar("T")


class ResultStore(Protocol):
    """Where serialized results live, by key; keys start with `<prefix><source id>:`."""

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, value: bytes, ttl_s: int | None) -> None: ...

    def drop_prefix(self, prefix: str) -> None: ...


class MemoryStore:
    """This process's results, bounded by entries and bytes (least recently used go first)."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self._lru: BoundedLru[str, bytes] = BoundedLru(max_entries, max_bytes)

    def get(self, key: str) -> bytes | None:
        return self._lru.get(key)

    def put(self, key: str, value: bytes, ttl_s: int | None) -> None:
        self._lru.put(key, value, len(value), ttl_s)

    def drop_prefix(self, prefix: str) -> None:
        self._lru.drop(lambda key: key.startswith(prefix))


class RedisStore:
    """Results shared by every worker; each expires (Redis is not ours to fill for ever)."""

    def __init__(self, url: str, max_value_bytes: int) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S)
        self._max_value_bytes = max_value_bytes

    def get(self, key: str) -> bytes | None:
        value = self._redis.get(key)
        return value if isinstance(value, bytes) else None

    def put(self, key: str, value: bytes, ttl_s: int | None) -> None:
        if len(value) <= self._max_value_bytes:
            self._redis.set(key, value, ex=ttl_s or get_settings().upload_cache_ttl_s)

    def drop_prefix(self, prefix: str) -> None:
        keys = list(self._redis.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            self._redis.delete(*keys)


class _Stores:
    """The configured store, built on first use; memory while Redis fails, Redis again after a pause."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._store: ResultStore | None = None
        self._memory: MemoryStore | None = None
        self._failed_at = 0.0

    def current(self) -> ResultStore:
        with self._lock:
            retry = self._store is not None and self._store is self._memory and get_settings().redis_url
            if self._store is None or (retry and time.monotonic() - self._failed_at >= REDIS_RETRY_S):
                self._store = self._configured()
            return self._store

    def memory(self, error: Exception) -> ResultStore:
        with self._lock:
            if self._store is not self._memory or self._memory is None:
                logger.warning("Result cache: Redis cannot be reached (%s); keeping results in this process's memory",
                               error)
            self._store = self._memory = self._memory or self._new_memory()
            self._failed_at = time.monotonic()
            return self._memory

    def reset(self) -> None:
        with self._lock:
            self._store = self._memory = None
            self._failed_at = 0.0

    def _configured(self) -> ResultStore:
        settings = get_settings()
        if settings.redis_url:
            return RedisStore(settings.redis_url, settings.result_cache_mb * 1024 * 1024 // 10)
        self._memory = self._memory or self._new_memory()
        return self._memory

    @staticmethod
    def _new_memory() -> MemoryStore:
        settings = get_settings()
        return MemoryStore(settings.result_cache_entries, settings.result_cache_mb * 1024 * 1024)


_STORES = _Stores()


def _call(work: Callable[[ResultStore], T]) -> T:
    """`work(store)` on the current store, or on memory when Redis fails."""
    try:
        return work(_STORES.current())
    except RedisError as error:
        return work(_STORES.memory(error))


def _prefix() -> str:
    """Keys start with the installation's name (its job queue's), so installations sharing a Redis stay apart."""
    return f"{get_settings().job_queue_name}:results:"


def dataset_version(source: Source) -> str:
    """What changes when the source's data does: an upload's file (immutable: key, mtime, size);
    an external database's connection and tables (its rows change unseen, hence the TTL)."""
    if source.kind == "csv":
        stat = dataset_path(source).stat()
        return f"{source.storage_key}:{stat.st_mtime_ns}:{stat.st_size}"
    described = json.dumps([source.connection_json, source.tables_json], sort_keys=True, default=str)
    return hashlib.sha256(described.encode()).hexdigest()


def dataset_key(source: Source) -> str | None:
    """The data's version with what the question engines read about it (tables, profile, semantic layer,
    ingest notes): the built-in engine keeps its per-dataset index under it. None when the data is gone."""
    try:
        version = dataset_version(source)
    except (OSError, ValueError):
        return None
    described = json.dumps([source.tables_json, source.profile_json, source.semantics_json, source.details_json],
                           sort_keys=True, default=str)
    return f"{source.id}:{version}:{hashlib.sha256(described.encode()).hexdigest()}"


def _ttl_s(source: Source) -> int | None:
    """How long a result may be reused: None for uploads (until they change), the setting for databases."""
    return None if source.kind == "csv" else get_settings().external_cache_ttl_s


def cache_key(source: Source, guarded_sql: str, row_cap: int) -> str | None:
    """The result's key, or None when this source's results are not kept (external, TTL 0)."""
    if _ttl_s(source) == 0 or source.id is None:
        return None
    digest = hashlib.sha256(f"{dataset_version(source)}\0{row_cap}\0{guarded_sql}".encode()).hexdigest()
    return f"{_prefix()}{source.id}:{digest}"


def lookup(key: str, started: float) -> ResultSet | None:
    """The kept result, marked `cached`, its duration the time this lookup took since `started`."""
    raw = _call(lambda store: store.get(key))
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        return ResultSet(
            columns=[ResultColumn(**column) for column in data["columns"]],
            rows=data["rows"],
            row_count=int(data["row_count"]),
            truncated=bool(data["truncated"]),
            duration_ms=int((time.monotonic() - started) * 1000),
            sql=str(data["sql"]),
            notes=list(data["notes"]),
            cached=True,
        )
    except (ValueError, KeyError, TypeError):
        logger.warning("Result cache: an unreadable entry was ignored")
        return None


def remember(key: str, source: Source, result: ResultSet) -> None:
    """Keep `result` under `key` for as long as the source allows."""
    data = {
        "columns": [asdict(column) for column in result.columns],
        "rows": result.rows,
        "row_count": result.row_count,
        "truncated": result.truncated,
        "sql": result.sql,
        "notes": result.notes,
    }
    raw = json.dumps(data, separators=(",", ":"), allow_nan=True).encode()
    _call(lambda store: store.put(key, raw, _ttl_s(source)))


def forget_source(source_id: int) -> None:
    """Drop every result of a source (it was deleted or replaced): its memory goes at once."""
    _call(lambda store: store.drop_prefix(f"{_prefix()}{source_id}:"))


def reset() -> None:
    """Forget the store, so the next use builds it from the settings again (memory: empty)."""
    _STORES.reset()
