"""The built-in engine's SQL for external sources, run on the real PostgreSQL and MariaDB servers.

The tips dataset is written to a throwaway table on each server; the engine renders in that
server's dialect and the rows must match what pandas computes. Value lookup is a small local
stand-in over the same connection (the external-source plumbing belongs to the data-source
service and is tested there).
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.data
import psycopg2
import pymysql
import pytest

from lumiere.core.engine import CannotAnswer, ColumnInfo, QuestionContext, TableInfo, ValueMatch
from lumiere.nlq.engine import BuiltinEngine

TIPS = plotly.data.tips()


@dataclass
class Server:
    dialect: str
    table: str
    run: Callable[[str], list[tuple[Any, ...]]]
    quote: Callable[[str], str]


def _table_info(name: str, frame: pd.DataFrame, types: dict[str, tuple[str, str]]) -> TableInfo:
    columns = []
    for column in frame.columns:
        values = frame[column]
        type_name, kind = types[column]
        numeric = kind in ("integer", "number")
        columns.append(
            ColumnInfo(
                name=column,
                type=type_name,
                kind=kind,
                samples=list(dict.fromkeys(values.tolist()))[:5],
                distinct_count=int(values.nunique()),
                null_count=int(values.isna().sum()),
                min=values.min() if numeric else None,
                max=values.max() if numeric else None,
            )
        )
    return TableInfo(name=name, row_count=len(frame), columns=columns)


def _sql_types(dialect: str) -> dict[str, tuple[str, str]]:
    text = "TEXT" if dialect == "postgres" else "VARCHAR(20)"
    real = "DOUBLE PRECISION" if dialect == "postgres" else "DOUBLE"
    return {
        "total_bill": (real, "number"),
        "tip": (real, "number"),
        "sex": (text, "text"),
        "smoker": (text, "text"),
        "day": (text, "text"),
        "time": (text, "text"),
        "size": ("INTEGER", "integer"),
    }


def _fill(cursor: Any, table: str, quote: Callable[[str], str], dialect: str) -> None:
    types = _sql_types(dialect)
    columns = ", ".join(f"{quote(name)} {types[name][0]}" for name in TIPS.columns)
    cursor.execute(f"CREATE TABLE {quote(table)} ({columns})")
    placeholders = ", ".join(["%s"] * len(TIPS.columns))
    rows = [tuple(None if pd.isna(v) else v for v in row) for row in TIPS.itertuples(index=False)]
    cursor.executemany(f"INSERT INTO {quote(table)} VALUES ({placeholders})", rows)


@pytest.fixture(scope="module", params=["postgres", "mysql"])
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    table = f"tips_{secrets.token_hex(4)}"
    if request.param == "postgres":
        connection = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="test")
        connection.autocommit = True

        def quote(name: str) -> str:
            return '"' + name.replace('"', '""') + '"'
    else:
        connection = pymysql.connect(
            host="127.0.0.1", port=3306, user="root", password="", database="test", autocommit=True
        )

        def quote(name: str) -> str:
            return "`" + name.replace("`", "``") + "`"

    with connection.cursor() as cursor:
        _fill(cursor, table, quote, request.param)

    def run(sql: str) -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())

    try:
        yield Server(request.param, table, run, quote)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {quote(table)}")
        connection.close()


def _context(server: Server) -> QuestionContext:
    info = _table_info(server.table, TIPS, _sql_types(server.dialect))
    text_columns = [c.name for c in info.columns if c.kind == "text"]

    def find_values(phrases: list[str]) -> list[ValueMatch]:
        wanted = {p.lower(): p for p in phrases}
        found = []
        for column in text_columns:
            values = {str(v) for v in TIPS[column].unique()}
            found += [ValueMatch(server.table, column, v, wanted[v.lower()]) for v in values if v.lower() in wanted]
        return found

    return QuestionContext(dialect=server.dialect, tables=[info], find_values=find_values)


def _ask(server: Server, question: str) -> list[tuple[Any, ...]]:
    generated = BuiltinEngine().generate(question, _context(server))
    return server.run(generated.sql)


def _close(a: Any, b: float) -> bool:
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def test_group_average(server):
    rows = _ask(server, "average tip by day")
    expected = TIPS.groupby("day").tip.mean().sort_values(ascending=False)
    assert [row[0] for row in rows] == list(expected.index)  # groups first, ranked by the measure
    assert all(_close(row[1], expected[row[0]]) for row in rows)


def test_group_count_ranked_with_ties_broken_by_label(server):
    rows = _ask(server, "How many rows are there for each size?")
    assert [(row[0], row[1]) for row in rows] == sorted(TIPS.groupby("size").size().items())
    rows = _ask(server, "number of rows by sex and day")
    counts = TIPS.groupby(["sex", "day"]).size()
    assert [((row[0], row[1]), row[2]) for row in rows] == sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def test_yes_no_text_column_as_a_filter(server):
    assert _ask(server, "How many smokers are there?") == [((TIPS.smoker == "Yes").sum(),)]


def test_group_superlative_and_ties(server):
    rows = _ask(server, "Which day has the highest average tip?")
    assert rows[0][0] == TIPS.groupby("day").tip.mean().idxmax()


def test_top_rows_and_between(server):
    rows = _ask(server, "What are the 5 largest total bills?")
    assert [float(row[-1]) for row in rows] == sorted(TIPS.total_bill, reverse=True)[:5]
    assert _ask(server, "How many rows have a size between 3 and 5?") == [(TIPS["size"].between(3, 5).sum(),)]


def test_shares_use_a_window(server):
    rows = _ask(server, "What share of rows are from each day?")
    expected = TIPS.day.value_counts(normalize=True) * 100
    assert len(rows) == len(expected) and all(abs(float(row[1]) - expected[row[0]]) < 0.01 for row in rows)


def test_contains_is_case_insensitive(server):
    assert _ask(server, "How many rows where day contains 'SU'?") == [(TIPS.day.str.contains("su", case=False).sum(),)]


def test_median_where_the_server_has_one(server):
    if server.dialect == "mysql":
        with pytest.raises(CannotAnswer):
            BuiltinEngine().generate("What is the median tip?", _context(server))
        return
    assert _close(_ask(server, "What is the median tip?")[0][0], TIPS.tip.median())


def test_correlation_where_the_server_has_one(server):
    question = "correlation between tip and total bill for each sex"
    if server.dialect == "mysql":
        with pytest.raises(CannotAnswer, match="no correlation"):
            BuiltinEngine().generate(question, _context(server))
        return
    expected = TIPS.groupby("sex")[["tip", "total_bill"]].corr().xs("tip", level=1).total_bill
    got = {row[0]: float(row[1]) for row in _ask(server, question)}
    assert got == pytest.approx(expected.to_dict())


def test_differences_choices_and_yes_no_render_in_each_dialect(server):
    by_day = TIPS.groupby("day")
    saturday_more = int((TIPS.day == "Sat").sum() - (TIPS.day == "Fri").sum())
    assert [
        tuple(int(v) for v in row) for row in _ask(server, "How many more rows are there for Saturday than Friday?")
    ] == [(saturday_more,)]
    richer = "Sun" if by_day.tip.mean()["Sun"] > by_day.tip.mean()["Sat"] else "Sat"
    assert _ask(server, "Which had the higher average tip, Sun or Sat?") == [(richer,)]
    anyone = "yes" if (TIPS.tip > 9).any() else "no"
    assert [tuple(row) for row in _ask(server, "Was there any tip over 9?")] == [(anyone, int((TIPS.tip > 9).sum()))]
    top_day = by_day.tip.sum().idxmax()
    answer = "yes" if top_day == "Sat" else "no"
    assert _ask(server, "Was Sat the day with the highest total tip?") == [(answer,)]


def test_column_against_column(server):
    assert _ask(server, "How many rows have a tip greater than size?") == [((TIPS.tip > TIPS["size"]).sum(),)]


def test_top_rows_within_each_group_render_in_each_dialect(server):
    """A window ranks within each group (RANK, NULLs last) on every server, not only in DuckDB."""
    rows = _ask(server, "which sex has the highest average tip for each day")
    by_pair = TIPS.groupby(["day", "sex"]).tip.mean()
    expected = {day: by_pair[day].idxmax() for day in TIPS.day.unique()}
    assert {row[0]: row[1] for row in rows} == expected
    assert len(rows) == len(expected)
    rows = _ask(server, "the 2 smallest bills for each day")
    smallest = {day: sorted(group.total_bill)[:2] for day, group in TIPS.groupby("day")}
    got: dict[str, list[float]] = {}
    for day, bill in rows:
        got.setdefault(day, []).append(float(bill))
    assert got == {day: pytest.approx(bills) for day, bills in smallest.items()}


def test_rows_at_a_columns_extreme_render_in_each_dialect(server):
    """`at the largest size` compares with a subquery over the whole table on every server."""
    rows = _ask(server, "average tip at the highest size")
    assert _close(rows[0][0], TIPS[TIPS["size"] == TIPS["size"].max()].tip.mean())


def test_groups_ranked_by_a_rate_render_in_each_dialect(server):
    """`the highest smoker rate` ranks the days by a CASE sum over a count, limited, on every server."""
    rows = _ask(server, "which day has the highest smoker rate")
    rates = TIPS.groupby("day").smoker.apply(lambda s: 100.0 * (s == "Yes").mean())
    assert [row[0] for row in rows] == [rates.idxmax()] and abs(float(rows[0][1]) - rates.max()) < 0.01
    rows = _ask(server, "average tip leaving out rows whose day is unknown")
    assert _close(rows[0][0], TIPS.tip.mean())


def test_numbers_worked_out_per_row_render_in_each_dialect(server):
    """`tip divided by total_bill`, `total_bill minus tip`: the table read with the worked-out column
    added (a derived table), division in floating point on every server (PostgreSQL would otherwise
    divide an integer by an integer as integers) and NULL, not an error, for a zero."""
    rows = _ask(server, "average tip divided by total_bill for each day")
    ratios = (TIPS.tip / TIPS.total_bill).groupby(TIPS.day).mean()
    assert {row[0]: round(float(row[1]), 6) for row in rows} == {day: round(v, 6) for day, v in ratios.items()}
    rows = _ask(server, "how many rows have total_bill minus tip above 30")
    assert rows[0][0] == int(((TIPS.total_bill - TIPS.tip) > 30).sum())
    rows = _ask(server, "average size divided by tip")
    assert _close(rows[0][0], (TIPS["size"] / TIPS.tip).mean())
