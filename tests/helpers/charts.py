"""Results shaped like the warehouse's, from DuckDB over plotly's datasets, and the figure safety check."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd
import plotly.data

from lumiere.core.resultset import ColumnKind, ResultColumn, ResultSet

DATASETS = {
    "gapminder": plotly.data.gapminder(),
    "tips": plotly.data.tips(),
    "stocks": plotly.data.stocks(),
    "iris": plotly.data.iris(),
    "wind": plotly.data.wind(),
}


def _kind(type_name: str) -> ColumnKind:
    name = type_name.upper()
    if name in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"):
        return "integer"
    if name in ("FLOAT", "DOUBLE", "REAL") or name.startswith("DECIMAL"):
        return "number"
    if name == "DATE":
        return "date"
    if name.startswith("TIMESTAMP"):
        return "datetime"
    if name == "BOOLEAN":
        return "boolean"
    if name == "VARCHAR":
        return "text"
    return "other"


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def result_of(sql: str, **frames: pd.DataFrame) -> ResultSet:
    """Runs SQL over the plotly datasets (and extra frames) in DuckDB and shapes it like the warehouse does."""
    connection = duckdb.connect()
    try:
        for name, frame in {**DATASETS, **frames}.items():
            connection.register(name, frame)
        relation = connection.sql(sql)
        columns = [
            ResultColumn(name, str(type_), _kind(str(type_)))
            for name, type_ in zip(relation.columns, relation.types, strict=True)
        ]
        rows = [[_cell(value) for value in row] for row in relation.fetchall()]
    finally:
        connection.close()
    return ResultSet(columns=columns, rows=rows, row_count=len(rows), truncated=False, duration_ms=1, sql=sql)


def walk(value: Any, path: str = "figure"):
    """Every (path, leaf) of a JSON tree; fails on anything that is not a JSON type."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str), path
            yield from walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]")
    else:
        assert value is None or type(value) in (str, int, float, bool), f"{path} holds {type(value).__name__}"
        yield path, value


def assert_inert(figure: dict) -> None:
    for path, leaf in walk(figure):
        if isinstance(leaf, str):
            lowered = leaf.lower()
            assert "<script" not in lowered, path
            assert "javascript:" not in lowered, path
            assert "<a " not in lowered and "<img" not in lowered and "<iframe" not in lowered, path
        if isinstance(leaf, float):
            assert math.isfinite(leaf), path
    json.dumps(figure, allow_nan=False)
