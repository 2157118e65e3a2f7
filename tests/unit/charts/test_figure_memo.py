"""Figures already drawn are kept by a digest of what shapes them: the same inputs give the same
figure without Plotly, and anything that changes the figure (rows, units, theme, spec, SQL) draws anew."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from lumiere.charts import CHART_TYPES, ChartSpec, build_figure, choose_chart
from lumiere.charts import figure as figure_module
from tests.helpers.charts import result_of

SQL = "SELECT continent, year, SUM(pop) AS population FROM gapminder WHERE year >= 1990 GROUP BY ALL ORDER BY ALL"


@pytest.fixture
def draws(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The chart types actually drawn with Plotly, in order, with an empty memo to start from."""
    figure_module._DRAWN.clear()
    drawn: list[str] = []
    real_draw = figure_module._draw

    def counting_draw(spec: ChartSpec, result, theme: str):
        drawn.append(spec.type)
        return real_draw(spec, result, theme)

    monkeypatch.setattr(figure_module, "_draw", counting_draw)
    return drawn


@pytest.mark.parametrize("chart_type", CHART_TYPES)
def test_a_figure_drawn_again_is_the_same_figure_without_plotly(chart_type: str, draws: list[str]) -> None:
    result = result_of(SQL)
    spec = dataclasses.replace(choose_chart(result), type=chart_type)
    first = build_figure(spec, result, theme="dark")
    again = build_figure(spec, result_of(SQL), theme="dark")  # new objects, same content
    assert again == first
    assert draws == [chart_type]


def test_a_caller_changing_its_figure_does_not_change_the_next_one(draws: list[str]) -> None:
    result = result_of(SQL)
    spec = choose_chart(result)
    figure, notes = build_figure(spec, result)
    kept = copy.deepcopy((figure, notes))
    figure["layout"]["title"] = {"text": "changed by a caller"}
    figure["data"].clear()
    notes.append("a caller's note")
    assert build_figure(spec, result) == kept
    again, _ = build_figure(spec, result)
    again["data"].clear()
    assert build_figure(spec, result) == kept
    assert len(draws) == 1


def test_whatever_shapes_the_figure_draws_it_anew(draws: list[str]) -> None:
    result = result_of(SQL)
    spec = choose_chart(result)
    base, _ = build_figure(spec, result)
    fewer_rows = dataclasses.replace(result, rows=result.rows[:-1], row_count=result.row_count - 1)
    with_unit = dataclasses.replace(
        result, columns=[dataclasses.replace(column, unit="$") if column.name == "population" else column
                         for column in result.columns]
    )
    cut = dataclasses.replace(result, truncated=True, row_count=result.row_count * 2)
    relabelled = dataclasses.replace(result, sql=result.sql.replace("SUM(pop)", "AVG(pop)"))  # labels come from the SQL
    variants = [
        build_figure(spec, fewer_rows)[0],
        build_figure(spec, with_unit)[0],
        build_figure(spec, result, theme="dark")[0],
        build_figure(dataclasses.replace(spec, title="Population by continent"), result)[0],
        build_figure(spec, relabelled)[0],
    ]
    _, cut_notes = build_figure(spec, cut)
    assert len(draws) == 7  # every variant drawn, none served from another's entry
    assert all(variant != base for variant in variants)
    assert any("first" in note for note in cut_notes)


def test_how_long_a_run_took_or_where_the_rows_came_from_is_not_part_of_the_figure(draws: list[str]) -> None:
    result = result_of(SQL)
    spec = choose_chart(result)
    first = build_figure(spec, result)
    assert build_figure(spec, dataclasses.replace(result, duration_ms=result.duration_ms + 500, cached=True)) == first
    assert len(draws) == 1
