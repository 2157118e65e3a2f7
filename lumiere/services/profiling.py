"""Column profiles of a dataset table: what the detail page shows and what the engines reason with.

A profile is computed once, right after ingest, on the ingest connection (the table is ours and
immutable afterwards). Large tables get approximate distinct counts and top values so that the
profile costs about one extra scan instead of one scan per column.
"""

from __future__ import annotations

from typing import Any

import duckdb
from sqlglot import exp

from lumiere.services.warehouse import json_safe, kind_of

# Up to this many rows, distinct counts and top values are exact.
EXACT_PROFILE_ROWS = 1_000_000
TOP_VALUES = 5
SAMPLES = 5
SAMPLE_TEXT_CHARS = 200
# A text column whose values are mostly distinct (ids, free text) gets no top values.
MOSTLY_UNIQUE_SHARE = 0.5

def _sample_value(value: Any) -> Any:
    value = json_safe(value)
    if isinstance(value, str) and len(value) > SAMPLE_TEXT_CHARS:
        return value[:SAMPLE_TEXT_CHARS] + "…"
    return value


def quote_ident(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect="duckdb")


def quote_literal(value: str) -> str:
    return exp.Literal.string(value).sql(dialect="duckdb")


def profile_table(con: duckdb.DuckDBPyConnection, table: str, columns: list[tuple[str, str]]) -> dict[str, Any]:
    """Profile every column of `table` (columns as (name, DuckDB type)) in a couple of scans."""
    table_sql = quote_ident(table)
    row_count = con.execute(f"SELECT count(*) FROM {table_sql}").fetchone()[0]
    exact = row_count <= EXACT_PROFILE_ROWS
    kinds = [kind_of(type_name) for _, type_name in columns]

    # One scan: null counts, distinct counts, ranges, means, text lengths (and approximate
    # top values for big tables).
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
        if kind == "text":
            add(f"max(strlen({col}))", "max_length")
            if not exact:
                add(f"approx_top_k({col}, {TOP_VALUES})", "approx_top")
        if kind == "boolean":
            add(f"count_if({col})", "true_count")
        slots.append(slot)
    stats = con.execute(f"SELECT {', '.join(select_list)} FROM {table_sql}").fetchone() if select_list else ()

    first_rows = con.execute(f"SELECT * FROM {table_sql} LIMIT 1000").fetchall()

    profiles: list[dict[str, Any]] = []
    top_candidates: dict[int, list[Any]] = {}
    for index, ((name, type_name), kind, slot) in enumerate(zip(columns, kinds, slots, strict=True)):
        non_null = stats[slot["non_null"]]
        column: dict[str, Any] = {
            "name": name,
            "type": type_name,
            "kind": kind,
            "null_count": row_count - non_null,
            "distinct_count": stats[slot["distinct"]] if "distinct" in slot else None,
        }
        if "min" in slot:
            column["min"] = json_safe(stats[slot["min"]])
            column["max"] = json_safe(stats[slot["max"]])
        if "mean" in slot:
            column["mean"] = json_safe(stats[slot["mean"]])
        if "max_length" in slot:
            column["max_length"] = stats[slot["max_length"]] or 0
        if kind == "boolean":
            true_count = stats[slot["true_count"]]
            column["top_values"] = [
                {"value": value, "count": count}
                for value, count in sorted(((True, true_count), (False, non_null - true_count)), key=lambda p: -p[1])
                if count
            ]
        distinct = column["distinct_count"] or 0
        if kind == "text" and non_null and distinct <= max(TOP_VALUES, MOSTLY_UNIQUE_SHARE * non_null):
            top_candidates[index] = list(stats[slot["approx_top"]] or []) if "approx_top" in slot else []
        column["samples"] = _first_distinct(first_rows, index)
        profiles.append(column)

    for index, values in _top_values(con, table_sql, columns, top_candidates, exact).items():
        profiles[index]["top_values"] = values
        profiles[index]["samples"] = [_sample_value(item["value"]) for item in values][:SAMPLES]
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


def _top_values(
    con: duckdb.DuckDBPyConnection,
    table_sql: str,
    columns: list[tuple[str, str]],
    candidates: dict[int, list[Any]],
    exact: bool,
) -> dict[int, list[dict[str, Any]]]:
    """Most frequent values with their counts: a GROUP BY per column on small tables; on big
    tables the approximate top values get exact counts in one more scan."""
    result: dict[int, list[dict[str, Any]]] = {}
    if exact:
        for index in candidates:
            col = quote_ident(columns[index][0])
            rows = con.execute(
                f"SELECT {col}, count(*) AS n FROM {table_sql} WHERE {col} IS NOT NULL "
                f"GROUP BY {col} ORDER BY n DESC, {col} LIMIT {TOP_VALUES}"
            ).fetchall()
            result[index] = [{"value": _sample_value(value), "count": count} for value, count in rows]
        return result
    counters: list[str] = []
    keys: list[tuple[int, Any]] = []
    for index, values in candidates.items():
        col = quote_ident(columns[index][0])
        for value in values:
            counters.append(f"count_if({col} = {quote_literal(str(value))})")
            keys.append((index, value))
    if not counters:
        return result
    counts = con.execute(f"SELECT {', '.join(counters)} FROM {table_sql}").fetchone()
    for (index, value), count in zip(keys, counts, strict=True):
        result.setdefault(index, []).append({"value": _sample_value(value), "count": count})
    for values in result.values():
        values.sort(key=lambda item: -item["count"])
    return result
