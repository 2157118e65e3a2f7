"""The word-to-value index of an uploaded dataset: the distinct values of its text columns, built once
at ingest, so placing a question's words on stored values is a dictionary lookup instead of a scan.

Where it lives: two small tables in their own schema inside the dataset's DuckDB file,
`lumiere_index.columns` and `lumiere_index.text_values`. The dataset file is written aside and
renamed into place in one step, so the index is published, renamed (rename_table touches only
`main`) and deleted together with the data and can never be stale or orphaned. Queries cannot read
it: the guard and the plan check allow the schema `main` only, and a user's table cannot collide
with it there.

Bounds: a column with more than settings.value_index_max_distinct distinct values is listed as not
indexed (warehouse.find_values scans it as before); values longer than MAX_VALUE_CHARS after
trimming are left out, since no phrase find_values accepts can equal them.

Each value is stored with its key as find_values compares it (spaces around it trimmed, lower
case). A value whose DuckDB lower case differs from Python's (a few letters such as 'İ') is left
out, because the former SQL lookup, which compared both, never found it either: the index answers
exactly what the scan answered.

Datasets uploaded before the index existed have no such schema: find_values falls back to the scan
for them (their files are immutable, so the index is not added afterwards).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from sqlglot import exp

INDEX_SCHEMA = "lumiere_index"
MAX_VALUE_CHARS = 400  # twice the longest phrase find_values accepts: lower case may lengthen a key
_CACHED_DATASETS = 32
_TEXT_TYPES = ("VARCHAR",)


def _ident(name: str) -> str:
    # Not profiling.quote_ident: profiling imports warehouse, which reads this module.
    return exp.to_identifier(name, quoted=True).sql(dialect="duckdb")


@dataclass(frozen=True)
class IndexSummary:
    """What an ingest indexed, for the source's details."""

    indexed: tuple[str, ...]
    skipped: tuple[str, ...]  # too many distinct values: scanned per question instead
    values: int
    seconds: float


@dataclass
class ValueIndex:
    """A dataset's index in memory: which columns it covers and, per key, the values stored under it."""

    indexed: frozenset[str]
    by_key: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)  # key -> (position, column, value)
    _by_column: dict[str, tuple[str, ...]] | None = field(default=None, repr=False, compare=False)

    def values_of(self, column: str) -> tuple[str, ...] | None:
        """Every distinct value the index holds for `column`, sorted; None when the column is not
        indexed (not text, or too many distinct values). Built once per loaded index."""
        if column not in self.indexed:
            return None
        if self._by_column is None:
            grouped: dict[str, list[str]] = {}
            for entries in self.by_key.values():
                for _, name, value in entries:
                    grouped.setdefault(name, []).append(value)
            self._by_column = {name: tuple(sorted(values)) for name, values in grouped.items()}
        return self._by_column.get(column, ())

    def lookup(self, keys: Collection[str], columns: Sequence[str]) -> list[tuple[str, str]]:
        """(column, value) for every stored value whose key is one of `keys`, in `columns` only,
        ordered by the column's place in `columns` and then by value."""
        place = {name: index for index, name in enumerate(columns)}
        hits = [
            (place[column], value, column)
            for key in keys
            for _, column, value in self.by_key.get(key, ())
            if column in place
        ]
        return [(column, value) for _, value, column in sorted(hits)]


def value_key(value: str) -> str:
    """How find_values compares a stored value with a phrase: spaces around it trimmed, lower case."""
    return value.strip(" ").lower()


def build_value_index(
    con: duckdb.DuckDBPyConnection, table_name: str, columns: Sequence[tuple[str, str]], max_distinct: int
) -> IndexSummary:
    """Write the index of `table_name`'s text columns into the open dataset file (called at ingest,
    before the file is checkpointed and published). `columns` are (name, DuckDB type)."""
    started = time.monotonic()
    table_sql = _ident(table_name)
    con.execute(f"CREATE SCHEMA {INDEX_SCHEMA}")
    con.execute(f"CREATE TABLE {INDEX_SCHEMA}.columns (column_name VARCHAR, position INTEGER, indexed BOOLEAN)")
    con.execute(f"CREATE TABLE {INDEX_SCHEMA}.text_values (column_name VARCHAR, value VARCHAR, value_key VARCHAR)")
    indexed: list[str] = []
    skipped: list[str] = []
    total = 0
    for position, (name, type_name) in enumerate(columns):
        if type_name not in _TEXT_TYPES:
            continue
        column = _ident(name)
        rows = con.execute(
            f"SELECT DISTINCT {column}, lower({column}), lower(trim({column})) FROM {table_sql} "
            f"WHERE {column} IS NOT NULL AND length(trim({column})) <= {MAX_VALUE_CHARS} LIMIT {max_distinct + 1}"
        ).fetchall()
        if len(rows) > max_distinct:
            skipped.append(name)
            con.execute(f"INSERT INTO {INDEX_SCHEMA}.columns VALUES (?, ?, false)", [name, position])
            continue
        values: list[str] = []
        keys: list[str] = []
        for value, lowered, lowered_trimmed in rows:
            key = value_key(value)
            padded = value.startswith(" ") or value.endswith(" ")
            if lowered == key or (padded and lowered_trimmed == key):
                values.append(value)
                keys.append(key)
        if values:
            con.execute(
                f"INSERT INTO {INDEX_SCHEMA}.text_values SELECT ?, unnest(?), unnest(?)",
                [name, values, keys],
            )
        con.execute(f"INSERT INTO {INDEX_SCHEMA}.columns VALUES (?, ?, true)", [name, position])
        indexed.append(name)
        total += len(values)
    return IndexSummary(tuple(indexed), tuple(skipped), total, time.monotonic() - started)


_cache: OrderedDict[tuple[str, int, int], ValueIndex | None] = OrderedDict()
_cache_lock = threading.Lock()


def load_value_index(dataset_file: Path) -> ValueIndex | None:
    """The index stored in a dataset file, read once per process (the file is immutable: its path,
    size and modification time key the cache); None when the file has none (an older upload)."""
    try:
        stat = dataset_file.stat()
    except OSError:
        return None
    key = (str(dataset_file), stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    index = _read(dataset_file)
    with _cache_lock:
        _cache[key] = index
        while len(_cache) > _CACHED_DATASETS:
            _cache.popitem(last=False)
    return index


def _read(dataset_file: Path) -> ValueIndex | None:
    """Our own fixed queries on our own tables of the file, read-only and without extensions."""
    try:
        con = duckdb.connect(
            str(dataset_file), read_only=True,
            config={"autoload_known_extensions": False, "autoinstall_known_extensions": False, "threads": 1},
        )
    except duckdb.Error:
        return None
    try:
        present = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name IN ('columns', 'text_values')",
            [INDEX_SCHEMA],
        ).fetchone()
        if not present or present[0] != 2:
            return None
        positions = dict(con.execute(f"SELECT column_name, position FROM {INDEX_SCHEMA}.columns").fetchall())
        indexed = {
            name for (name,) in con.execute(f"SELECT column_name FROM {INDEX_SCHEMA}.columns WHERE indexed").fetchall()
        }
        by_key: dict[str, list[tuple[int, str, str]]] = {}
        for column, value, key in con.execute(
            f"SELECT column_name, value, value_key FROM {INDEX_SCHEMA}.text_values"
        ).fetchall():
            by_key.setdefault(key, []).append((positions[column], column, value))
        return ValueIndex(frozenset(indexed), by_key)
    except duckdb.Error:
        return None
    finally:
        con.close()


def clear_cache() -> None:
    """Forget the indexes read so far (tests, and after datasets are removed in bulk)."""
    with _cache_lock:
        _cache.clear()
