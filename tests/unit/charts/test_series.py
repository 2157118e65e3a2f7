"""Figures of counted numbers (the admin console's): one trace per series on a date axis, rankings
largest on top, labels from people shown as text, the same light and dark looks as answers."""

from __future__ import annotations

import pytest

from lumiere.charts.series import USD_FORMAT, Series, daily_figure, ranking_figure
from lumiere.core.errors import Invalid


def test_daily_figure_stacks_series_on_a_date_axis_with_the_theme():
    days = ["2026-12-01", "2026-12-02", "2026-12-03"]
    figure = daily_figure(days, [Series("Succeeded", [1, 0, 3]), Series("Failed", [0, 0, 2], "#e5484d")],
                          title="Queries per day", stacked=True)
    assert [trace["type"] for trace in figure["data"]] == ["bar", "bar"]
    assert figure["data"][0]["x"] == days and figure["data"][1]["marker"] == {"color": "#e5484d"}
    layout = figure["layout"]
    assert layout["barmode"] == "stack" and layout["xaxis"]["type"] == "date" and layout["showlegend"] is True
    assert layout["title"]["text"] == "Queries per day" and layout["paper_bgcolor"] == "rgba(0,0,0,0)"
    assert layout["template"]["layout"]  # the theme's template travels with the figure
    assert layout["yaxis"]["dtick"] == 1  # at most 5 a day (stacked): whole-number ticks
    assert "dtick" not in daily_figure(days, [Series("Queries", [0, 60, 3])], title="Many")["layout"]["yaxis"]
    line = daily_figure(days, [Series("LLM cost", [0.0, 0.5, 0.25])], title="Cost", kind="line",
                        value_format=USD_FORMAT, theme="dark")
    assert line["data"][0]["mode"] == "lines+markers" and line["layout"]["yaxis"]["tickformat"] == USD_FORMAT
    assert line["layout"]["font"]["color"] == "#e5e7eb" and line["layout"]["showlegend"] is False


def test_ranking_puts_the_largest_on_top_and_shows_labels_as_text():
    long = "a-very-long-address-indeed@example.com"
    figure = ranking_figure(["<b>ann</b>", long, "cy"], [2.5, 10.0, 0.5], title="MB")
    bar = figure["data"][0]
    assert bar["orientation"] == "h" and bar["x"] == [0.5, 2.5, 10.0]  # Plotly draws the last category on top
    assert bar["y"] == ["cy", "&lt;b&gt;ann&lt;/b&gt;", "a-very-long-address-ind…"]
    assert bar["customdata"][2] == long and "%{customdata}" in bar["hovertemplate"]
    with pytest.raises(Invalid):
        ranking_figure([], [], title="x", theme="sepia")
