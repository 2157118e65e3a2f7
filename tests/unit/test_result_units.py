"""Units of an answer's columns: lineage read from the guarded SQL (aliases, aggregates, CTEs,
subqueries, stars, windows), and the whole path on a real upload whose amounts were written
"$1,234.50": questions, user SQL, reruns, reopened history and single-number insights."""

from __future__ import annotations

import asyncio

import pandas as pd
import plotly.data
import pytest
import sqlglot
from sqlglot import exp

from lumiere.core.resultset import unit_affixes
from lumiere.core.semantics import ColumnMeaning, SourceSemantics
from lumiere.db import saved_id
from lumiere.services import ask, insights, semantics, sources
from lumiere.services.auth import register_user
from lumiere.services.result_units import Catalog, header_label, result_column_units, with_unit
from lumiere.services.sqlguard import guard_sql

CATALOG = Catalog.of(
    SourceSemantics(columns=(
        ColumnMeaning(table="tips", column="total_bill", unit="$"),
        ColumnMeaning(table="tips", column="tip", unit="$"),
        ColumnMeaning(table="tips", column="rate", unit="%"),
        ColumnMeaning(table="tips", column="day", unit=""),
    )),
    [("tips", ["total_bill", "tip", "sex", "smoker", "day", "time", "size", "rate"])],
)


def units_of(sql: str) -> list[str | None]:
    """The units of `sql` as it runs: re-rendered by the guard first, as ResultSet.sql is."""
    rendered = guard_sql(sql, dialect="duckdb", allowed_tables=["tips"], row_cap=100).sql
    parsed = sqlglot.parse_one(rendered, read="duckdb")
    assert isinstance(parsed, exp.Query)
    width = len(parsed.selects)
    return result_column_units(rendered, "duckdb", CATALOG, width)


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT total_bill, size FROM tips", ["$", None]),
    ('SELECT "TOTAL_BILL" AS bill FROM tips AS t', ["$"]),
    ("SELECT day, SUM(total_bill) AS total, AVG(tip), MIN(tip), MAX(tip), MEDIAN(tip) FROM tips GROUP BY day",
     [None, "$", "$", "$", "$", "$"]),
    ("SELECT COUNT(*), COUNT(tip), COUNT(DISTINCT tip), SUM(size) FROM tips", [None, None, None, None]),
    # a share the engine computes is a percentage of the answer, not dollars
    ("SELECT day, 100.0 * SUM(tip) / (SELECT SUM(tip) FROM tips) AS share FROM tips GROUP BY day", [None, None]),
    ("SELECT SUM(tip) / SUM(total_bill), SUM(tip) * 2, tip - total_bill, tip + size FROM tips",
     [None, None, "$", None]),
    ("SELECT ROUND(AVG(rate), 2), ABS(MIN(tip)), CAST(SUM(tip) AS INTEGER) FROM tips", ["%", "$", "$"]),
    ("SELECT SUM(CASE WHEN smoker = 'Yes' THEN tip ELSE 0 END), COALESCE(MAX(tip), 0) FROM tips", ["$", "$"]),
    ("SELECT CASE WHEN smoker = 'Yes' THEN tip ELSE rate END FROM tips", [None]),
    ("WITH t AS (SELECT day, SUM(tip) AS s FROM tips GROUP BY day) SELECT day, s, AVG(s) OVER () FROM t",
     [None, "$", "$"]),
    ("SELECT x.top FROM (SELECT MAX(total_bill) AS top FROM tips) AS x", ["$"]),
    ("SELECT (SELECT SUM(tip) FROM tips) AS all_tips, SUM(tip) FILTER (WHERE size > 2) FROM tips", ["$", "$"]),
    ("SELECT day, SUM(tip) OVER (ORDER BY day ROWS UNBOUNDED PRECEDING) FROM tips", [None, "$"]),
    ("SELECT tip FROM tips UNION ALL SELECT total_bill FROM tips", ["$"]),
    ("SELECT tip FROM tips UNION ALL SELECT rate FROM tips", [None]),
])
def test_lineage_through_aliases_and_aggregates(sql, expected):
    assert units_of(sql) == expected


def test_stars_expand_over_the_table_and_subqueries():
    rendered = guard_sql("SELECT * FROM tips", dialect="duckdb", allowed_tables=["tips"], row_cap=10).sql
    assert result_column_units(rendered, "duckdb", CATALOG, 8) == ["$", "$", None, None, None, None, None, "%"]
    nested = guard_sql("SELECT * FROM (SELECT day, SUM(tip) FROM tips GROUP BY day) q", dialect="duckdb",
                       allowed_tables=["tips"], row_cap=10).sql
    assert result_column_units(nested, "duckdb", CATALOG, 2) == [None, "$"]
    # a star over a table whose columns are unknown: no unit rather than a shifted one
    unknown = Catalog(units=CATALOG.units)
    assert result_column_units(rendered, "duckdb", unknown, 8) == [None] * 8


def test_unreadable_sql_or_a_wrong_width_gets_no_units():
    assert result_column_units("SELEC nonsense ((", "duckdb", CATALOG, 2) == [None, None]
    assert result_column_units("SELECT tip FROM tips", "duckdb", CATALOG, 3) == [None, None, None]
    assert result_column_units("SELECT tip FROM tips", "duckdb", Catalog(units={}), 1) == [None]


def test_numbers_and_headers_with_units():
    assert with_unit("1,234.5", "$") == "$1,234.5" and with_unit("-5", "€") == "-€5"
    assert with_unit("12.5", "%") == "12.5%" and with_unit("3", "kg") == "3 kg" and with_unit("7", "EUR") == "7 EUR"
    assert with_unit("7", None) == "7" and unit_affixes("R$") == ("R$", "")
    assert header_label("total", "$") == "total ($)" and header_label("amount ($)", "$") == "amount ($)"
    assert header_label("size", None) == "size"


# --- the whole path on a real upload -------------------------------------------------------------


async def _chunks(data: bytes):
    yield data


@pytest.fixture
def owner(db_session):
    user = register_user(db_session, email="units@example.com", password="password-1", name="Units")
    db_session.commit()
    return user


@pytest.fixture
def dollars(db_session, owner):
    """plotly's tips with the bill and the tip written as a till prints them: "$1,234.50"."""
    frame = plotly.data.tips()
    written = frame.assign(total_bill=frame.total_bill.map(lambda v: f"${v:,.2f}"),
                           tip=frame.tip.map(lambda v: f"${v:,.2f}"))
    source = asyncio.run(sources.ingest_upload(db_session, owner, filename="tips.csv",
                                               chunks=_chunks(written.to_csv(index=False).encode())))
    db_session.commit()
    assert source.details_json["units"] == {"total_bill": "$", "tip": "$"}
    return source


def _units(answer: ask.Answer) -> dict[str, str | None]:
    return {column.name: column.unit for column in answer.result.columns}


def test_questions_sql_reruns_and_history_carry_units(db_session, owner, dollars):
    frame = plotly.data.tips()
    asked = ask.ask_question(db_session, owner, source_id=dollars.id, question="total tip by day")
    assert "$" in _units(asked).values() and _units(asked)["day"] is None
    by_day = {row[0]: row[1] for row in asked.result.rows}
    assert by_day == pytest.approx(frame.groupby("day").tip.sum().to_dict())

    written = ask.run_sql(db_session, owner, source_id=dollars.id,
                          sql="SELECT day, AVG(total_bill) AS avg_bill, COUNT(*) AS n, "
                              "100.0 * SUM(tip) / SUM(total_bill) AS tip_share FROM tips GROUP BY day")
    assert _units(written) == {"day": None, "avg_bill": "$", "n": None, "tip_share": None}
    view = ask.public_answer(written)
    assert [column.unit for column in view.columns] == [None, "$", None, None]

    again = ask.rerun_query(db_session, owner, saved_id(written.query))
    assert _units(again) == _units(written)
    opened = ask.open_history_entry(db_session, owner, saved_id(written.query))
    assert opened.answer is not None and [c.unit for c in opened.answer.columns] == [None, "$", None, None]


def test_a_user_edited_unit_is_used_and_a_single_number_says_it(db_session, owner, dollars):
    semantics.update_semantics(db_session, owner, dollars.id, {"columns": [
        {"table": "tips", "column": "total_bill", "unit": "€"}]})
    db_session.commit()
    single = ask.run_sql(db_session, owner, source_id=dollars.id, sql="SELECT SUM(total_bill) AS revenue FROM tips")
    assert _units(single) == {"revenue": "€"}
    expected = plotly.data.tips().total_bill.sum()
    facts = insights.compute_facts(single.result)
    value = next(fact for fact in facts if fact["kind"] == "value")
    assert value["unit"] == "€" and value["value"] == pytest.approx(expected)
    assert value["text"] == f"Revenue: €{insights.format_number(value['value'])}."
    # the KPI figure shows it too
    assert single.chart is not None
    indicator = single.chart["figure"]["data"][0]
    assert indicator["number"]["prefix"] == "€"


def test_no_units_on_a_source_without_any(db_session, owner):
    frame = pd.DataFrame({"city": ["Oslo", "Lima"], "price": [1.5, 2.5]})
    source = asyncio.run(sources.ingest_upload(db_session, owner, filename="plain.csv",
                                               chunks=_chunks(frame.to_csv(index=False).encode())))
    db_session.commit()
    answer = ask.run_sql(db_session, owner, source_id=saved_id(source),
                         sql="SELECT city, SUM(price) FROM plain GROUP BY 1")
    assert _units(answer) == {"city": None, "sum(price)": None}
