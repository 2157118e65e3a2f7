"""Column profiles of a dataset table: what the detail page shows and what the engines reason with.

A profile is computed once, right after ingest, on the ingest connection (the table is ours and
immutable afterwards). It costs about one scan: DuckDB answers counts, minimums and maximums
from its storage statistics, string lengths come from those statistics too, and on large tables
distinct counts are HyperLogLog estimates and only low-cardinality text columns get top values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
from sqlglot import exp

from lumiere.core.json_values import json_safe
from lumiere.services.warehouse import kind_of

# Up to this many rows, distinct counts are exact (above, HyperLogLog estimates within a few %)
# and every text column gets top values.
EXACT_PROFILE_ROWS = 100_000
# On larger tables, text columns with more distinct values than this get samples, not top values.
TOP_VALUES_MAX_DISTINCT = 10_000
TOP_VALUES = 5
SAMPLES = 5
SAMPLE_TEXT_CHARS = 200
# A text column whose values are mostly distinct (ids, free text) gets no top values.
MOSTLY_UNIQUE_SHARE = 0.5


def quote_ident(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect="duckdb")


def quote_literal(value: str) -> str:
    return exp.Literal.string(value).sql(dialect="duckdb")


def one_row(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    """The row of a query that always returns one (an aggregate without GROUP BY)."""
    row = con.execute(sql).fetchone()
    if row is None:
        raise RuntimeError(f"DuckDB returned no row for: {sql[:200]}")
    return row


def _sample_value(value: Any) -> Any:
    value = json_safe(value)
    if isinstance(value, str) and len(value) > SAMPLE_TEXT_CHARS:
        return value[:SAMPLE_TEXT_CHARS] + "…"
    return value


def profile_table(con: duckdb.DuckDBPyConnection, table: str, columns: list[tuple[str, str]]) -> dict[str, Any]:
    """Profile every column of `table` (columns as (name, DuckDB type))."""
    table_sql = quote_ident(table)
    row_count = one_row(con, f"SELECT count(*) FROM {table_sql}")[0]
    exact = row_count <= EXACT_PROFILE_ROWS
    kinds = [kind_of(type_name) for _, type_name in columns]

    select_list: list[str] = []
    slots: list[dict[str, int]] = []
    for (name, _), kind in zip(columns, kinds, strict=True):
        col = quote_ident(name)
        slot: dict[str, int] = {}

        def add(sql: str, key: str, _slot: dict[str, int] = slot) -> None:
            _slot[key] = len(select_list)
            select_list.append(sql)

        add(f"count({col})", "non_null")
        if kind != "other":
            add(f"count(DISTINCT {col})" if exact else f"approx_count_distinct({col})", "distinct")
        if kind in ("integer", "number", "date", "datetime"):
            add(f"min({col})", "min")
            add(f"max({col})", "max")
        if kind in ("integer", "number"):
            add(f"avg({col})", "mean")
        if kind == "boolean":
            add(f"count_if({col})", "true_count")
        slots.append(slot)
    stats = one_row(con, f"SELECT {', '.join(select_list)} FROM {table_sql}")
    storage_stats: Sequence[Any] = con.execute(
        f"SELECT {', '.join(f'stats({quote_ident(name)})' for name, _ in columns)} FROM {table_sql} LIMIT 1"
    ).fetchone() or [{} for _ in columns]
    first_rows = con.execute(f"SELECT * FROM {table_sql} LIMIT 1000").fetchall()

    profiles: list[dict[str, Any]] = []
    for index, ((name, type_name), kind, slot) in enumerate(zip(columns, kinds, slots, strict=True)):
        non_null = stats[slot["non_null"]]
        column: dict[str, Any] = {
            "name": name,
            "type": type_name,
            "kind": kind,
            "null_count": row_count - non_null,
            "distinct_count": min(stats[slot["distinct"]], non_null) if "distinct" in slot else None,
            "samples": _first_distinct(first_rows, index),
        }
        if "min" in slot:
            column["min"] = json_safe(stats[slot["min"]])
            column["max"] = json_safe(stats[slot["max"]])
        if "mean" in slot:
            column["mean"] = json_safe(stats[slot["mean"]])
        if kind == "text":
            column["max_length"] = int((storage_stats[index] or {}).get("max_string_length") or 0)
            distinct = column["distinct_count"] or 0
            if non_null and distinct <= max(TOP_VALUES, MOSTLY_UNIQUE_SHARE * non_null) and (
                exact or distinct <= TOP_VALUES_MAX_DISTINCT
            ):
                column["top_values"] = _top_values(con, table_sql, name)
                column["samples"] = [item["value"] for item in column["top_values"]]
        if kind == "boolean":
            true_count = stats[slot["true_count"]]
            counted = ((True, true_count), (False, non_null - true_count))
            column["top_values"] = [
                {"value": value, "count": count} for value, count in sorted(counted, key=lambda p: -p[1]) if count
            ]
        profiles.append(column)
    return {"row_count": row_count, "approximate": not exact, "columns": profiles}


def _first_distinct(rows: list[tuple[Any, ...]], index: int) -> list[Any]:
    seen: list[Any] = []
    for row in rows:
        value = row[index]
        if value is not None and value not in seen:
            seen.append(value)
            if len(seen) == SAMPLES:
                break
    return [_sample_value(value) for value in seen]


def _top_values(con: duckdb.DuckDBPyConnection, table_sql: str, name: str) -> list[dict[str, Any]]:
    col = quote_ident(name)
    rows = con.execute(
        f"SELECT {col}, count(*) AS n FROM {table_sql} WHERE {col} IS NOT NULL "
        f"GROUP BY {col} ORDER BY n DESC, {col} LIMIT {TOP_VALUES}"
    ).fetchall()
    return [{"value": _sample_value(value), "count": count} for value, count in rows]
