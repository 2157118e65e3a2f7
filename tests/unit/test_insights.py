"""Insight facts against pandas on the same plotly data, narrative composition and the number check."""

from __future__ import annotations

import json
import math

import pandas as pd
import plotly.data
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lumiere.core.resultset import ResultColumn, ResultSet
from lumiere.services.insights import (
    compose_narrative,
    compute_facts,
    format_number,
    numbers_in,
    unsupported_numbers,
)
from tests.helpers.charts import result_of

GAPMINDER = plotly.data.gapminder()
TIPS = plotly.data.tips()


def by_kind(facts: list[dict], kind: str, column: str | None = None) -> dict:
    matches = [f for f in facts if f["kind"] == kind and (column is None or f.get("column") == column)]
    assert len(matches) == 1, (kind, column, facts)
    return matches[0]


def test_totals_top_bottom_and_shares_match_pandas() -> None:
    result = result_of("SELECT continent, SUM(pop) AS population FROM gapminder WHERE year = 2007 GROUP BY 1")
    facts = compute_facts(result, question="Population by continent")
    expected = GAPMINDER[GAPMINDER.year == 2007].groupby("continent")["pop"].sum()

    total = by_kind(facts, "total", "population")
    assert total["total"] == expected.sum()
    assert total["mean"] == pytest.approx(expected.mean())
    assert f"{expected.sum():,}" in total["text"]  # thousands separators

    top = by_kind(facts, "top", "population")
    largest = expected.sort_values(ascending=False)
    assert [item["label"] for item in top["items"]] == largest.index[:3].tolist()
    assert [item["value"] for item in top["items"]] == largest.iloc[:3].tolist()
    shares = (largest / expected.sum() * 100).round(1)
    assert [item["share"] for item in top["items"]] == shares.iloc[:3].tolist()
    assert f"{shares.iloc[0]:.1f}%" in top["text"]

    bottom = by_kind(facts, "bottom", "population")
    smallest = expected.sort_values()
    assert [item["label"] for item in bottom["items"]] == smallest.index[:2].tolist()
    assert [item["value"] for item in bottom["items"]] == smallest.iloc[:2].tolist()


def test_repeated_labels_are_summed_or_averaged_by_the_measure() -> None:
    result = result_of("SELECT day, tip FROM tips")
    top = by_kind(compute_facts(result), "top", "tip")
    sums = TIPS.groupby("day")["tip"].sum().sort_values(ascending=False)
    assert [item["label"] for item in top["items"]] == sums.index[:3].tolist()
    assert [item["value"] for item in top["items"]] == pytest.approx(sums.iloc[:3].tolist())
    assert top["aggregation"] == "sum" and "(sum)" in top["text"]

    result = result_of("SELECT continent, lifeExp FROM gapminder")
    facts = compute_facts(result)
    top = by_kind(facts, "top", "lifeExp")
    means = GAPMINDER.groupby("continent")["lifeExp"].mean().sort_values(ascending=False)
    assert [item["label"] for item in top["items"]] == means.index[:3].tolist()
    assert [item["value"] for item in top["items"]] == pytest.approx(means.iloc[:3].tolist())
    assert all(item["share"] is None for item in top["items"])  # shares of an average mean nothing
    assert by_kind(facts, "total", "lifeExp")["aggregation"] == "mean"


def test_change_between_first_and_last_period_and_the_largest_jump() -> None:
    result = result_of("SELECT year, SUM(pop) AS total_pop FROM gapminder GROUP BY year ORDER BY year DESC")
    facts = compute_facts(result)
    series = GAPMINDER.groupby("year")["pop"].sum().sort_index()

    change = by_kind(facts, "change", "total_pop")
    assert change["first"] == {"period": 1952, "value": series.iloc[0]}
    assert change["last"] == {"period": 2007, "value": series.iloc[-1]}
    assert change["change"] == series.iloc[-1] - series.iloc[0]
    assert change["change_pct"] == round((series.iloc[-1] - series.iloc[0]) / series.iloc[0] * 100, 1)
    assert "Between 1952 and 2007" in change["text"]

    jump = by_kind(facts, "largest_jump", "total_pop")
    steps = series.diff().abs()
    to_year = int(steps.idxmax())
    from_year = int(series.index[series.index.get_loc(to_year) - 1])
    assert (jump["from_period"], jump["to_period"]) == (from_year, to_year)
    assert jump["change"] == series[to_year] - series[from_year]


def test_change_over_dates_averages_repeated_periods() -> None:
    result = result_of("SELECT year, lifeExp FROM gapminder")
    change = by_kind(compute_facts(result), "change", "lifeExp")
    means = GAPMINDER.groupby("year")["lifeExp"].mean()
    assert change["first"]["value"] == pytest.approx(means.iloc[0])
    assert change["last"]["value"] == pytest.approx(means.iloc[-1])
    assert "(average per year)" in change["text"]

    stocks = result_of("SELECT CAST(date AS DATE) AS day, AAPL FROM stocks")
    change = by_kind(compute_facts(stocks), "change", "AAPL")
    frame = plotly.data.stocks()
    assert change["first"] == {"period": "2018-01-01", "value": pytest.approx(frame["AAPL"].iloc[0])}
    assert change["last"]["period"] == frame["date"].iloc[-1]


def test_outliers_use_tukeys_fences_like_pandas() -> None:
    result = result_of("SELECT day, total_bill FROM tips")
    outliers = by_kind(compute_facts(result), "outliers", "total_bill")
    q1, q3 = TIPS["total_bill"].quantile([0.25, 0.75])
    low, high = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    outside = TIPS[(TIPS.total_bill < low) | (TIPS.total_bill > high)]
    assert outliers["count"] == len(outside)
    assert outliers["low"] == pytest.approx(low) and outliers["high"] == pytest.approx(high)
    shown = sorted(outside["total_bill"], key=lambda v: -abs(v - TIPS["total_bill"].median()))[:5]
    assert [item["value"] for item in outliers["items"]] == shown
    assert outliers["items"][0]["label"] == outside.loc[outside.total_bill.idxmax(), "day"]
    assert "unusually high" in outliers["text"]


def test_no_outliers_in_evenly_spread_values() -> None:
    result = result_of("SELECT range AS n FROM range(1, 101)")
    assert [f for f in compute_facts(result) if f["kind"] == "outliers"] == []


def test_correlation_of_two_numbers_matches_pandas() -> None:
    result = result_of("SELECT total_bill, tip FROM tips")
    correlation = by_kind(compute_facts(result), "correlation")
    expected = TIPS["total_bill"].corr(TIPS["tip"])
    assert correlation["r"] == pytest.approx(expected, abs=1e-4)
    assert correlation["n"] == 244
    assert f"{expected:.2f}" in correlation["text"] and "together" in correlation["text"]

    result = result_of("SELECT gdpPercap, lifeExp FROM gapminder WHERE year = 2007")
    frame = GAPMINDER[GAPMINDER.year == 2007]
    assert by_kind(compute_facts(result), "correlation")["r"] == pytest.approx(
        frame["gdpPercap"].corr(frame["lifeExp"]), abs=1e-4
    )


def test_a_single_row_gives_its_values() -> None:
    result = result_of("SELECT country, pop, lifeExp FROM gapminder WHERE year = 2007 ORDER BY pop DESC LIMIT 1")
    facts = compute_facts(result)
    china = GAPMINDER[(GAPMINDER.year == 2007) & (GAPMINDER.country == "China")].iloc[0]
    assert by_kind(facts, "value", "pop")["value"] == china["pop"]
    assert by_kind(facts, "value", "lifeExp")["value"] == pytest.approx(china["lifeExp"])
    assert by_kind(facts, "value", "pop")["text"] == f"Pop for China: {china['pop']:,}."


def test_empty_and_truncated_results_say_so() -> None:
    empty = compute_facts(result_of("SELECT * FROM tips WHERE tip < 0"))
    assert empty == [{"kind": "rows", "text": "The query returned no rows.", "rows": 0, "row_count": 0}]
    result = result_of("SELECT tip FROM tips LIMIT 50")
    result.truncated, result.row_count = True, 244
    assert compute_facts(result)[0]["text"] == "The facts cover the first 50 of 244 rows."


def test_the_measure_the_question_names_comes_first() -> None:
    result = result_of("SELECT day, total_bill, tip, size FROM tips")
    totals = [
        f["column"] for f in compute_facts(result, question="What is the average tip by day?") if f["kind"] == "total"
    ]
    assert totals == ["tip", "total_bill"]


def test_facts_are_plain_json() -> None:
    for sql in ("SELECT * FROM gapminder", "SELECT * FROM tips", "SELECT * FROM stocks", "SELECT * FROM wind"):
        facts = compute_facts(result_of(sql))
        assert json.loads(json.dumps(facts, allow_nan=False)) == facts


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1234567, "1,234,567"),
        (1234567.891, "1,234,567.89"),
        (2.5, "2.5"),
        (3.0, "3"),
        (0.012345, "0.0123"),
        (-9876.5, "-9,876.5"),
        (None, "no value"),
    ],
)
def test_numbers_have_thousands_separators(value: float | None, text: str) -> None:
    assert format_number(value) == text


def test_narrative_holds_every_fact_and_only_their_numbers() -> None:
    result = result_of("SELECT year, continent, SUM(pop) AS population FROM gapminder GROUP BY ALL")
    facts = compute_facts(result, question="Population by continent over the years")
    text = compose_narrative(facts, question="Population by continent over the years")
    assert text.startswith("**Population by continent over the years**")
    for fact in facts:
        assert fact["text"] in text
    assert unsupported_numbers(text, facts) == []


def test_number_check_catches_invented_numbers() -> None:
    facts = compute_facts(result_of("SELECT day, SUM(tip) AS tips FROM tips GROUP BY day"))
    sums = TIPS.groupby("day")["tip"].sum()
    honest = (
        f"Saturday leads with **{format_number(sums['Sat'])}** in tips, {sums['Sat'] / sums.sum() * 100:.1f}% of all."
    )
    assert unsupported_numbers(honest, facts) == []
    assert unsupported_numbers("Saturday brought in 999.99 in tips.", facts) == ["999.99"]
    assert unsupported_numbers("Tips grew 12% since 2019.", facts, question="tips since 2019") == ["12"]
    # the same number written without separators or with a trailing zero is the same number
    assert unsupported_numbers(f"{sums.sum():.2f}0 in total", facts) == []


def test_numbers_in_reads_separators_and_decimals() -> None:
    assert numbers_in("From 1,234.5 to -2,000 (+62%), 3rd Q4 v2 1.5.") == ["1,234.5", "2,000", "62", "1.5"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", "d", None]), st.floats(allow_nan=False, allow_infinity=False) | st.none()
        ),
        min_size=0,
        max_size=30,
    )
)
# Found by this test: two values near the float limit sum to infinity within one label (shares were NaN).
@example(rows=[("a", 0.0), ("b", 8.988465674311579e307), ("b", 8.98846567431158e307)])
def test_any_result_gives_json_facts_whose_narrative_is_self_consistent(rows: list[tuple]) -> None:
    result = ResultSet(
        columns=[ResultColumn("label", "VARCHAR", "text"), ResultColumn("amount", "DOUBLE", "number")],
        rows=[list(row) for row in rows],
        row_count=len(rows),
        truncated=False,
        duration_ms=0,
    )
    facts = compute_facts(result)
    json.dumps(facts, allow_nan=False)
    assert unsupported_numbers(compose_narrative(facts, question="q"), facts) == []
    frame = pd.DataFrame(rows, columns=["label", "amount"]).dropna(subset=["amount"])
    totals = [f for f in facts if f["kind"] == "total"]
    expected = sum(frame["amount"].tolist())  # overflows to inf for values near 1e308, like the service
    if len(rows) > 1 and len(frame) and math.isfinite(expected) and max(abs(frame["amount"]), default=0) < 1e300:
        assert totals[0]["total"] == pytest.approx(expected, rel=1e-9, abs=1e-6)


def test_the_narrative_opens_with_the_answer_in_words_not_the_row_count() -> None:
    result = result_of(
        "SELECT continent, AVG(lifeExp) AS avg_life FROM gapminder WHERE continent = 'Europe' GROUP BY 1"
    )
    text = compose_narrative(compute_facts(result), question="Life expectancy in Europe?")
    assert "The result has" not in text and "1 row" not in text
    assert text.splitlines()[2].startswith("Average life expectancy for Europe: 7")


def test_dates_in_facts_read_as_people_write_them() -> None:
    yearly = ResultSet(
        columns=[ResultColumn("year_start", "TIMESTAMP", "datetime"), ResultColumn("total_sales", "DOUBLE", "number")],
        rows=[["2019-01-01T00:00:00", 10.0], ["2020-01-01T00:00:00", 12.0], ["2021-01-01T00:00:00", 15.0]],
        row_count=3,
        truncated=False,
        duration_ms=1,
    )
    change = by_kind(compute_facts(yearly), "change")
    assert change["text"].startswith("Between 2019 and 2021, total sales went from 10 to 15")
    assert "T00:00" not in compose_narrative(compute_facts(yearly), question="")
    daily = ResultSet(
        columns=[ResultColumn("day", "DATE", "date"), ResultColumn("orders", "BIGINT", "integer")],
        rows=[["2019-01-01", 3], ["2019-03-15", 5]],
        row_count=2,
        truncated=False,
        duration_ms=1,
    )
    assert by_kind(compute_facts(daily), "change")["text"].startswith("Between 1 Jan 2019 and 15 Mar 2019, orders")
