"""Chart choice, overrides and figures on real plotly datasets queried with DuckDB."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lumiere.charts import (
    CHART_TYPES,
    ChartSpec,
    build_figure,
    chart_payload,
    choose_chart,
    fitting_spec,
    validate_override,
)
from lumiere.charts.limits import MAX_CATEGORIES, MAX_HISTOGRAM_BINS, MAX_SCATTER_POINTS
from lumiere.core.errors import Invalid
from lumiere.core.json_values import json_strict
from lumiere.core.resultset import ColumnKind, ResultColumn, ResultSet
from tests.helpers.charts import DATASETS, assert_inert, result_of


def traces(figure: dict) -> list[dict]:
    return figure["data"]


# --------------------------------------------------------------------------------------
# Choice by shape
# --------------------------------------------------------------------------------------


def test_date_and_number_is_a_line_on_a_date_axis() -> None:
    result = result_of("SELECT CAST(date AS DATE) AS day, GOOG FROM stocks ORDER BY day")
    spec = choose_chart(result, question="How did Google's stock move?")
    assert (spec.type, spec.x, spec.y, spec.color) == ("line", "day", "GOOG", None)
    figure, notes = build_figure(spec, result)
    assert figure["layout"]["xaxis"]["type"] == "date"
    assert traces(figure)[0]["x"][:2] == ["2018-01-01", "2018-01-08"]
    assert len(traces(figure)[0]["y"]) == len(DATASETS["stocks"])
    assert figure["layout"]["title"]["text"] == "How did Google's stock move?"
    assert notes == []


def test_the_measure_the_question_names_is_plotted() -> None:
    result = result_of("SELECT CAST(date AS DATE) AS day, GOOG, AAPL, MSFT FROM stocks")
    assert choose_chart(result).y == "GOOG"
    assert choose_chart(result, question="How did MSFT move over the year?").y == "MSFT"


def test_year_and_number_is_a_line_with_years_as_dates() -> None:
    result = result_of("SELECT year, SUM(pop) AS total_pop FROM gapminder GROUP BY year ORDER BY year")
    spec = choose_chart(result)
    assert (spec.type, spec.x, spec.y) == ("line", "year", "total_pop")
    figure, _ = build_figure(spec, result)
    trace = traces(figure)[0]
    assert trace["x"][0] == "1952-01-01" and figure["layout"]["xaxis"]["hoverformat"] == "%Y"
    expected = DATASETS["gapminder"].groupby("year")["pop"].sum().tolist()
    assert trace["y"] == expected
    assert figure["layout"]["yaxis"]["tickformat"] == ","  # thousands separators
    assert figure["layout"]["separators"] == ".,"
    assert figure["layout"]["xaxis"]["title"]["text"] == "Year"  # words, not SQL names
    assert figure["layout"]["yaxis"]["title"]["text"] == "Total pop"


def test_time_with_a_small_category_draws_one_line_per_group() -> None:
    result = result_of(
        "SELECT year, continent, AVG(lifeExp) AS avg_life FROM gapminder GROUP BY ALL ORDER BY year, continent"
    )
    spec = choose_chart(result)
    assert (spec.type, spec.x, spec.y, spec.color) == ("line", "year", "avg_life", "continent")
    figure, _ = build_figure(spec, result)
    assert sorted(trace["name"] for trace in traces(figure)) == sorted(DATASETS["gapminder"]["continent"].unique())
    europe = next(trace for trace in traces(figure) if trace["name"] == "Europe")
    frame = DATASETS["gapminder"]
    expected = frame[frame.continent == "Europe"].groupby("year")["lifeExp"].mean().tolist()
    assert europe["y"] == pytest.approx(expected)


def test_the_same_rows_in_another_order_draw_the_same_chart() -> None:
    """Grouped results without ORDER BY come back in any order; the legend must not follow it."""
    sql = "SELECT day, time, SUM(tip) AS tips FROM tips GROUP BY ALL ORDER BY {}"
    forward, backward = result_of(sql.format("time, day")), result_of(sql.format("time DESC, day DESC"))
    spec = choose_chart(forward)
    assert spec.color == "time"
    assert build_figure(spec, forward)[0]["data"] == build_figure(spec, backward)[0]["data"]
    assert [trace["name"] for trace in traces(build_figure(spec, forward)[0])] == ["Dinner", "Lunch"]


def test_raw_rows_over_time_are_aggregated_with_a_note() -> None:
    result = result_of("SELECT year, lifeExp, pop FROM gapminder")
    spec = choose_chart(result)
    assert (spec.type, spec.x, spec.y, spec.color) == ("line", "year", "lifeExp", None)
    figure, notes = build_figure(spec, result)
    assert any("Averaged lifeExp per year" in note and "1,704 rows" in note for note in notes)
    expected = DATASETS["gapminder"].groupby("year")["lifeExp"].mean().tolist()
    assert traces(figure)[0]["y"] == pytest.approx(expected)
    assert figure["layout"]["yaxis"]["title"]["text"] == "Average life expectancy"

    summed = validate_override(result, type="line", x="year", y="pop")
    figure, notes = build_figure(summed, result)
    assert traces(figure)[0]["y"] == DATASETS["gapminder"].groupby("year")["pop"].sum().astype(float).tolist()
    assert any(note.startswith("Summed pop per year") for note in notes)


def test_category_and_number_is_a_bar_sorted_largest_first() -> None:
    result = result_of("SELECT continent, SUM(pop) AS population FROM gapminder WHERE year = 2007 GROUP BY continent")
    spec = choose_chart(result, question="Population by continent in 2007")
    assert (spec.type, spec.x, spec.y) == ("bar", "continent", "population")
    assert spec.title == "Population by continent in 2007"
    figure, _ = build_figure(spec, result)
    frame = DATASETS["gapminder"]
    expected = frame[frame.year == 2007].groupby("continent")["pop"].sum().sort_values(ascending=False)
    assert traces(figure)[0]["x"] == expected.index.tolist()
    assert traces(figure)[0]["y"] == expected.tolist()
    assert figure["layout"]["xaxis"]["categoryarray"] == expected.index.tolist()


def test_bar_keeps_calendar_order_for_weekdays() -> None:
    result = result_of("SELECT day, SUM(tip) AS tips FROM tips GROUP BY day ORDER BY tips")
    spec = choose_chart(result)
    assert spec.type == "bar"
    figure, _ = build_figure(spec, result)
    assert traces(figure)[0]["x"] == ["Thur", "Fri", "Sat", "Sun"]
    sums = DATASETS["tips"].groupby("day")["tip"].sum()
    assert traces(figure)[0]["y"] == pytest.approx([sums[d] for d in ["Thur", "Fri", "Sat", "Sun"]])


def test_bar_keeps_the_querys_own_ranking() -> None:
    result = result_of(
        "SELECT continent, AVG(lifeExp) AS avg_life FROM gapminder WHERE year = 2007 GROUP BY 1 ORDER BY 2"
    )
    figure, _ = build_figure(choose_chart(result), result)
    assert traces(figure)[0]["x"] == [row[0] for row in result.rows]  # ascending, as asked


def test_share_question_with_few_parts_is_a_pie() -> None:
    result = result_of("SELECT continent, SUM(pop) AS population FROM gapminder WHERE year = 2007 GROUP BY 1")
    spec = choose_chart(result, question="What share of the world's population lives on each continent?")
    assert (spec.type, spec.x, spec.y) == ("pie", "continent", "population")
    figure, _ = build_figure(spec, result)
    pie = traces(figure)[0]
    assert pie["type"] == "pie" and len(pie["labels"]) == 5
    assert sum(pie["values"]) == pytest.approx(
        float(result_of("SELECT SUM(pop) FROM gapminder WHERE year = 2007").rows[0][0])
    )


def test_share_question_with_many_parts_stays_a_bar() -> None:
    result = result_of(
        "SELECT country, SUM(pop) AS p FROM gapminder WHERE continent = 'Oceania' OR country LIKE 'B%' GROUP BY 1"
    )
    assert len(result.rows) > 6
    assert choose_chart(result, question="share of population by country").type == "bar"


def test_integer_grouping_key_with_a_count_is_a_bar() -> None:
    result = result_of("SELECT size, COUNT(*) AS n FROM tips GROUP BY size ORDER BY size")
    spec = choose_chart(result)
    assert (spec.type, spec.x, spec.y) == ("bar", "size", "n")
    figure, _ = build_figure(spec, result)
    assert traces(figure)[0]["x"] == ["1", "2", "3", "4", "5", "6"]
    assert traces(figure)[0]["y"] == DATASETS["tips"]["size"].value_counts().sort_index().tolist()


def test_two_numbers_are_a_scatter_with_labels_in_the_hover() -> None:
    result = result_of("SELECT country, gdpPercap, lifeExp FROM gapminder WHERE year = 2007")
    spec = choose_chart(result)
    assert (spec.type, spec.x, spec.y) == ("scatter", "gdpPercap", "lifeExp")
    figure, _ = build_figure(spec, result)
    trace = traces(figure)[0]
    assert trace["mode"] == "markers" and len(trace["x"]) == 142
    assert "Japan" in trace["text"] and "%{text}" in trace["hovertemplate"]


def test_raw_rows_with_a_category_are_a_coloured_scatter() -> None:
    result = result_of("SELECT sepal_length, sepal_width, species FROM iris")
    spec = choose_chart(result)
    assert (spec.type, spec.color) == ("scatter", "species")
    figure, _ = build_figure(spec, result)
    assert sorted(trace["name"] for trace in traces(figure)) == ["setosa", "versicolor", "virginica"]
    assert sum(len(trace["x"]) for trace in traces(figure)) == 150


def test_one_number_of_many_rows_is_a_histogram_binned_exactly() -> None:
    result = result_of("SELECT total_bill FROM tips")
    spec = choose_chart(result)
    assert (spec.type, spec.x, spec.y) == ("histogram", "total_bill", None)
    figure, _ = build_figure(spec, result)
    bars = traces(figure)[0]
    assert sum(bars["y"]) == len(DATASETS["tips"])
    assert 1 < len(bars["y"]) <= MAX_HISTOGRAM_BINS
    low, high = bars["customdata"][0][0], bars["customdata"][-1][1]
    assert low == pytest.approx(DATASETS["tips"]["total_bill"].min())
    assert high == pytest.approx(DATASETS["tips"]["total_bill"].max())


def test_a_tight_cluster_with_one_far_value_keeps_the_bin_count_bounded() -> None:
    frame = pd.DataFrame({"amount": [i / 1000 for i in range(1000)] + [1e12]})
    result = result_of("SELECT amount FROM cluster", cluster=frame)
    figure, _ = build_figure(validate_override(result, type="histogram"), result)
    assert len(traces(figure)[0]["y"]) <= MAX_HISTOGRAM_BINS and sum(traces(figure)[0]["y"]) == 1001


def test_values_too_extreme_to_bin_are_counted_instead() -> None:
    result = result_of("SELECT v FROM extreme", extreme=pd.DataFrame({"v": [1.7e308, -1.7e308] * 6}))
    figure, _ = build_figure(validate_override(result, type="histogram"), result)
    assert sorted(traces(figure)[0]["y"]) == [6, 6]
    assert_inert(figure)


def test_a_single_value_is_a_kpi() -> None:
    result = result_of("SELECT SUM(tip) AS total_tips FROM tips")
    spec = choose_chart(result, question="How much was tipped in total?")
    assert (spec.type, spec.y) == ("kpi", "total_tips")
    figure, _ = build_figure(spec, result)
    indicator = traces(figure)[0]
    assert indicator["type"] == "indicator"
    assert indicator["value"] == pytest.approx(DATASETS["tips"]["tip"].sum())
    assert indicator["number"]["valueformat"].startswith(",")


def test_a_single_row_with_a_label_is_a_kpi_naming_it() -> None:
    result = result_of("SELECT country, pop FROM gapminder WHERE year = 2007 ORDER BY pop DESC LIMIT 1")
    spec = choose_chart(result)
    assert (spec.type, spec.x, spec.y) == ("kpi", "country", "pop")
    figure, _ = build_figure(spec, result)
    assert "China" in traces(figure)[0]["title"]["text"]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT country, lifeExp FROM gapminder WHERE year = 2007",  # more than ~20 categories
        "SELECT country, continent FROM gapminder WHERE year = 2007",  # no numbers
        "SELECT * FROM tips WHERE total_bill < 0",  # no rows
        "SELECT tip FROM tips LIMIT 3",  # too few rows for a distribution
    ],
)
def test_anything_else_is_a_table(sql: str) -> None:
    result = result_of(sql)
    spec = choose_chart(result)
    assert spec.type == "table"
    figure, _ = build_figure(spec, result)
    table = traces(figure)[0]
    assert table["type"] == "table"
    assert table["header"]["values"] == result.column_names


# --------------------------------------------------------------------------------------
# Large results
# --------------------------------------------------------------------------------------


def test_large_scatter_is_sampled_with_a_note() -> None:
    result = result_of("SELECT a.gdpPercap, b.lifeExp FROM gapminder a, (SELECT lifeExp FROM gapminder LIMIT 4) b")
    assert len(result.rows) > MAX_SCATTER_POINTS
    figure, notes = build_figure(choose_chart(result), result)
    assert len(traces(figure)[0]["x"]) == MAX_SCATTER_POINTS
    assert any("random sample" in note and f"{len(result.rows):,}" in note for note in notes)
    again, _ = build_figure(choose_chart(result), result)
    assert again == figure  # the sample is the same every time


def test_many_categories_as_a_bar_keep_the_largest_with_a_note() -> None:
    result = result_of("SELECT country, pop FROM gapminder WHERE year = 2007")
    spec = validate_override(result, type="bar", x="country", y="pop")
    figure, notes = build_figure(spec, result)
    frame = DATASETS["gapminder"]
    top = frame[frame.year == 2007].nlargest(MAX_CATEGORIES, "pop")
    assert traces(figure)[0]["x"] == top["country"].tolist()
    assert any(f"largest of {len(result.rows)}" in note for note in notes)


def test_pie_with_many_slices_folds_the_rest_into_other() -> None:
    result = result_of("SELECT country, pop FROM gapminder WHERE year = 2007 AND continent = 'Europe'")
    figure, notes = build_figure(validate_override(result, type="pie", x="country", y="pop"), result)
    pie = traces(figure)[0]
    assert len(pie["labels"]) == 6 and pie["labels"][-1] == "Other"
    assert sum(pie["values"]) == pytest.approx(sum(row[1] for row in result.rows))
    assert any("combined into 'Other'" in note for note in notes)


def test_truncated_result_is_said_in_the_notes() -> None:
    result = result_of("SELECT total_bill FROM tips LIMIT 100")
    result.truncated, result.row_count = True, 244
    _, notes = build_figure(choose_chart(result), result)
    assert "The chart uses the first 100 of 244 rows." in notes


# --------------------------------------------------------------------------------------
# Overrides
# --------------------------------------------------------------------------------------


def test_override_changes_type_and_columns() -> None:
    result = result_of("SELECT day, time, SUM(total_bill) AS bills, COUNT(*) AS n FROM tips GROUP BY ALL")
    spec = validate_override(result, type="bar", x="day", y="n", color="time")
    title = "Number of rows by day and time"
    assert spec.to_dict() == {"type": "bar", "x": "day", "y": "n", "color": "time", "title": title}
    figure, _ = build_figure(spec, result)
    assert sorted(trace["name"] for trace in traces(figure)) == ["Dinner", "Lunch"]
    assert sum(sum(trace["y"]) for trace in traces(figure)) == 244


def test_override_fills_missing_columns_from_the_shape() -> None:
    result = result_of("SELECT continent, SUM(pop) AS population FROM gapminder WHERE year = 2007 GROUP BY 1")
    spec = validate_override(result, type="pie")
    assert (spec.x, spec.y) == ("continent", "population")
    spec = validate_override(result, type="KPI ", title="  World   population ")
    assert (spec.type, spec.y, spec.title) == ("kpi", "population", "World population")


def test_override_matches_column_names_ignoring_case() -> None:
    result = result_of("SELECT day, SUM(tip) AS Tips FROM tips GROUP BY day")
    assert validate_override(result, type="bar", x="DAY", y="tips").y == "Tips"


def test_unknown_type_is_refused_naming_the_types() -> None:
    result = result_of("SELECT day, SUM(tip) AS tips FROM tips GROUP BY day")
    with pytest.raises(Invalid) as caught:
        validate_override(result, type="sankey")
    assert caught.value.status_code == 422
    assert all(name in caught.value.detail for name in CHART_TYPES)
    with pytest.raises(Invalid):
        validate_override(result, type=None)


@pytest.mark.parametrize("field", ["x", "y", "color"])
def test_a_column_that_does_not_exist_is_refused_naming_the_valid_ones(field: str) -> None:
    result = result_of("SELECT day, time, SUM(tip) AS tips FROM tips GROUP BY ALL")
    with pytest.raises(Invalid) as caught:
        validate_override(result, type="bar", **{field: "password"})
    assert caught.value.status_code == 422
    assert "'password'" in caught.value.detail
    assert all(name in caught.value.detail for name in ("day", "time", "tips"))
    assert caught.value.extra["columns"] == ["day", "time", "tips"]


def test_a_text_column_as_y_is_refused_naming_the_numeric_columns() -> None:
    result = result_of("SELECT day, time, SUM(tip) AS tips FROM tips GROUP BY ALL")
    with pytest.raises(Invalid) as caught:
        validate_override(result, type="line", x="day", y="time")
    assert "numeric" in caught.value.detail and "tips" in caught.value.detail


def test_a_pie_of_negative_values_is_refused() -> None:
    result = result_of("SELECT day, SUM(tip) - 200 AS margin FROM tips GROUP BY day")
    with pytest.raises(Invalid) as caught:
        validate_override(result, type="pie", x="day", y="margin")
    assert "negative" in caught.value.detail


def test_a_stale_spec_draws_the_rows_as_a_table() -> None:
    result = result_of("SELECT day, SUM(tip) AS tips FROM tips GROUP BY day")
    figure, notes = build_figure(ChartSpec("bar", "weekday", "tips", None, "old"), result)
    assert traces(figure)[0]["type"] == "table"
    assert any("no longer fits" in note for note in notes)


def test_spec_round_trips_through_a_dict() -> None:
    spec = ChartSpec("line", "year", "pop", "continent", "Population")
    assert ChartSpec.from_dict(spec.to_dict()) == spec
    assert ChartSpec.from_dict({"type": "bar", "x": 3, "y": ""}) == ChartSpec("bar", None, None, None, "")


# --------------------------------------------------------------------------------------
# Figures: themes and safety
# --------------------------------------------------------------------------------------


def test_light_and_dark_themes_are_both_readable() -> None:
    result = result_of("SELECT day, SUM(tip) AS tips FROM tips GROUP BY day")
    spec = choose_chart(result)
    light, _ = build_figure(spec, result, theme="light")
    dark, _ = build_figure(spec, result, theme="dark")
    assert light["layout"]["paper_bgcolor"] == dark["layout"]["paper_bgcolor"] == "rgba(0,0,0,0)"
    assert light["layout"]["font"]["color"] != dark["layout"]["font"]["color"]
    assert light["layout"]["template"] != dark["layout"]["template"]
    with pytest.raises(Invalid):
        build_figure(spec, result, theme="neon")


HOSTILE = [
    "<script>alert(1)</script>",
    "javascript:alert(document.cookie)",
    "<a href='http://evil/?q=secret'>click</a>",
    "<img src=x onerror=alert(1)>",
    "%{x}%{customdata}",
    "JaVaScRiPt :alert(1)",
]


def hostile_result() -> ResultSet:
    frame = pd.DataFrame(
        {
            "label": HOSTILE,
            "kind": ["<b>x</b>", "<b>x</b>", "javascript:y", "javascript:y", "z", "z"],
            "amount": [1200.5, 3400.25, 5600.0, 7800.75, 9100.0, 1000.0],
            "count": [1, 2, 3, 4, 5, 6],
        }
    )
    return result_of('SELECT label AS "<script>col</script>", kind, amount, "count" FROM hostile', hostile=frame)


@pytest.mark.parametrize("chart_type", CHART_TYPES)
def test_figure_json_holds_no_code_for_any_chart_type(chart_type: str) -> None:
    result = hostile_result()
    x = {"scatter": "amount", "histogram": "amount"}.get(chart_type, "<script>col</script>")
    spec = validate_override(
        result,
        type=chart_type,
        x=x,
        y="amount" if chart_type != "histogram" else None,
        color="kind" if chart_type in ("bar", "line", "scatter") else None,
        title="<script>alert('title')</script>",
    )
    payload = chart_payload(spec, result, theme="dark")
    assert set(payload) >= {"type", "x", "y", "color", "title", "figure"}
    assert_inert(payload["figure"])
    assert payload["figure"]["layout"]["title"]["text"].startswith("&lt;script&gt;")


def test_json_safe_refuses_anything_that_is_not_json() -> None:
    assert json_strict({"a": (1, 2.5, float("nan"), Decimal("1.5"), date(2024, 1, 2))}) == {
        "a": [1, 2.5, None, 1.5, "2024-01-02"]
    }
    with pytest.raises(TypeError):
        json_strict({"onclick": print})
    with pytest.raises(TypeError):
        json_strict([object()])


KINDS: dict[ColumnKind, st.SearchStrategy[Any]] = {
    "integer": st.integers(-(10**12), 10**12),
    "number": st.floats(allow_nan=True, allow_infinity=True, width=64).map(lambda f: f if math.isfinite(f) else None),
    "text": st.sampled_from([*HOSTILE, "a", "b", "Mon", "Tue", "", "2024-01-01"]),
    "date": st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)).map(date.isoformat),
    "boolean": st.booleans(),
}


@st.composite
def results(draw: st.DrawFn) -> ResultSet:
    kinds = draw(st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=4))
    names = draw(
        st.lists(
            st.sampled_from(["year", "n", "x", "total", "<b>c</b>", "id", "day", "avg_v"]),
            min_size=len(kinds),
            max_size=len(kinds),
            unique=True,
        )
    )
    row_count = draw(st.integers(0, 40))
    rows = [[draw(st.one_of(st.none(), KINDS[kind])) for kind in kinds] for _ in range(row_count)]
    columns = [ResultColumn(name, kind.upper(), kind) for name, kind in zip(names, kinds, strict=True)]
    return ResultSet(columns=columns, rows=rows, row_count=row_count, truncated=False, duration_ms=0)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(result=results(), chart_type=st.sampled_from(CHART_TYPES))
def test_any_result_gets_a_valid_safe_chart(result: ResultSet, chart_type: str) -> None:
    chosen = choose_chart(result, question="<script>q</script>")
    assert chosen.type in CHART_TYPES
    again = validate_override(result, **chosen.to_dict())  # the automatic choice passes its own validation
    assert again.type == chosen.type
    assert_inert(chart_payload(chosen, result)["figure"])
    try:
        override = validate_override(result, type=chart_type)
    except Invalid:
        return  # this shape cannot be drawn that way; the message said why
    assert_inert(chart_payload(override, result, theme="dark")["figure"])


# --------------------------------------------------------------------------------------
# Readable labels and numbers
# --------------------------------------------------------------------------------------


def test_titles_axes_and_hover_use_words_from_the_select_expressions() -> None:
    result = result_of("SELECT continent AS region, AVG(gdpPercap) AS avg_price FROM gapminder GROUP BY 1")
    spec = choose_chart(result)
    assert (spec.type, spec.x, spec.y) == ("bar", "region", "avg_price")  # the spec keeps the SQL names
    figure, _ = build_figure(spec, result)
    assert figure["layout"]["title"]["text"] == "Average price by region"
    assert figure["layout"]["xaxis"]["title"]["text"] == "Region"
    assert figure["layout"]["yaxis"]["title"]["text"] == "Average price"
    assert "Average price: %{y:,.2~f}" in traces(figure)[0]["hovertemplate"]


def test_a_count_reads_as_a_number_of_rows_and_the_legend_is_named() -> None:
    result = result_of("SELECT year, continent, COUNT(*) FROM gapminder GROUP BY ALL ORDER BY year")
    spec = choose_chart(result)
    figure, _ = build_figure(spec, result)
    assert (spec.type, spec.color) == ("line", "continent")
    assert figure["layout"]["title"]["text"] == "Number of rows by year and continent"
    assert figure["layout"]["legend"]["title"]["text"] == "Continent"


def test_a_share_between_zero_and_one_is_shown_as_a_percentage() -> None:
    result = result_of("SELECT day, SUM(tip) / SUM(total_bill) AS tip_rate FROM tips GROUP BY 1")
    figure, _ = build_figure(choose_chart(result), result)
    assert figure["layout"]["yaxis"]["tickformat"] == ",.1~%"


def test_a_currency_named_column_gets_its_symbol_and_a_plain_price_does_not() -> None:
    priced = result_of("SELECT day, AVG(total_bill) AS avg_bill_usd FROM tips GROUP BY 1")
    figure, _ = build_figure(choose_chart(priced), priced)
    assert figure["layout"]["yaxis"]["tickprefix"] == "$"
    plain = result_of("SELECT day, AVG(total_bill) AS avg_price FROM tips GROUP BY 1")
    figure, _ = build_figure(choose_chart(plain), plain)
    assert figure["layout"]["yaxis"]["tickprefix"] == ""


# --------------------------------------------------------------------------------------
# What a newcomer tripped over
# --------------------------------------------------------------------------------------


def test_a_pie_of_averages_is_neither_chosen_nor_accepted() -> None:
    result = result_of("SELECT sex, AVG(tip) AS avg_tip FROM tips GROUP BY 1")
    assert choose_chart(result, question="What share of tips by sex?").type == "bar"
    with pytest.raises(Invalid, match="parts of a whole"):
        validate_override(result, type="pie")
    counted = result_of("SELECT sex, COUNT(*) AS n FROM tips GROUP BY 1")
    assert choose_chart(counted, question="What share of tips by sex?").type == "pie"
    assert validate_override(counted, type="pie").type == "pie"


def test_one_row_is_a_number_even_when_a_bar_was_hinted() -> None:
    result = result_of(
        "SELECT continent, AVG(lifeExp) AS avg_life FROM gapminder WHERE continent = 'Europe' GROUP BY 1"
    )
    assert fitting_spec({"type": "bar", "x": "continent", "y": "avg_life"}, result) is None
    spec = choose_chart(result)
    assert (spec.type, spec.x, spec.y) == ("kpi", "continent", "avg_life")
    yearly = result_of("SELECT year, AVG(lifeExp) AS avg_life FROM gapminder WHERE year = 2007 GROUP BY 1")
    assert choose_chart(yearly).type == "kpi"


def test_a_hint_without_a_colour_gets_one_line_per_second_category() -> None:
    result = result_of("SELECT year, continent, AVG(lifeExp) AS avg_life FROM gapminder GROUP BY ALL ORDER BY 1, 2")
    spec = fitting_spec({"type": "line", "x": "year", "y": "avg_life"}, result)
    assert spec is not None and spec.color == "continent"
    figure, notes = build_figure(spec, result)
    assert len(traces(figure)) == 5 and not any("Averaged" in note for note in notes)
    chosen_none = fitting_spec({"type": "line", "x": "year", "y": "avg_life", "color": None}, result)
    assert chosen_none is not None and chosen_none.color is None  # a saved "no colour" stays
