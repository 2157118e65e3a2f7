"""Figures of numbers the application counts itself (per day, per user, per model), drawn with
the same theme as the answers' charts: the admin console's charts.

Labels may come from people (emails, model names), so they go through `inert` like data does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import plotly.graph_objects as go

from lumiere.charts.draft import FigureDraft
from lumiere.charts.escaping import inert
from lumiere.charts.kinds.base import new_figure
from lumiere.charts.theme import THEMES, base_layout, style_axes, theme_template
from lumiere.core.errors import Invalid
from lumiere.core.json_values import json_strict

# d3 formats: whole counts with separators, dollars with cents (small costs with more digits).
COUNT_FORMAT = ","
USD_FORMAT = "$,.4~f"
SMALL_COUNT = 5  # up to this many, a count axis ticks at every whole number
MAX_LABEL_CHARS = 24


@dataclass(frozen=True)
class Series:
    """One line or bar series: a value per day (or per label), and its colour if it has a meaning
    (failures in red); None takes the theme's next colour."""

    name: str
    values: Sequence[float | int]
    color: str | None = None


def daily_figure(
    days: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    kind: Literal["bar", "line"] = "bar",
    stacked: bool = False,
    value_format: str = COUNT_FORMAT,
    theme: str = "light",
) -> dict[str, Any]:
    """Plotly JSON with a date axis of `days` (ISO dates) and one trace per series."""
    traces = []
    for one in series:
        marker = {"color": one.color} if one.color else {}
        if kind == "bar":
            traces.append(go.Bar(x=list(days), y=list(one.values), name=inert(one.name), marker=marker))
        else:
            traces.append(
                go.Scatter(x=list(days), y=list(one.values), name=inert(one.name), mode="lines+markers", line=marker)
            )
    figure = new_figure(*traces)
    figure.update_layout(barmode="stack" if stacked else "group", hovermode="x unified")
    figure.update_xaxes(type="date", tickformat="%b %d")
    figure.update_yaxes(tickformat=value_format, rangemode="tozero")
    if value_format == COUNT_FORMAT and _tallest(series, stacked) <= SMALL_COUNT:
        figure.update_yaxes(dtick=1)  # a day with 1 query reads 0, 1, not 0, 0.2, ..., 1
    return _finished(figure, title, theme, legend=len(series) > 1)


def _tallest(series: Sequence[Series], stacked: bool) -> float:
    if stacked:
        return max((sum(column) for column in zip(*(one.values for one in series), strict=True)), default=0)
    return max((max(one.values, default=0) for one in series), default=0)


def ranking_figure(
    labels: Sequence[str],
    values: Sequence[float | int],
    *,
    title: str,
    value_format: str = COUNT_FORMAT,
    theme: str = "light",
) -> dict[str, Any]:
    """Horizontal bars, the largest on top (for "top users by storage", "cost by model"); long
    labels are cut on the axis and shown whole on hover."""
    order = sorted(range(len(values)), key=lambda index: values[index])
    bar = go.Bar(
        x=[values[index] for index in order],
        y=[inert(_short(labels[index])) for index in order],
        customdata=[inert(labels[index]) for index in order],
        orientation="h",
        hovertemplate=f"%{{customdata}}: %{{x:{value_format}}}<extra></extra>",
    )
    figure = new_figure(bar)
    figure.update_xaxes(tickformat=value_format, rangemode="tozero")
    figure.update_yaxes(type="category", automargin=True)
    return _finished(figure, title, theme, legend=False)


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"


def _finished(figure: FigureDraft, title: str, theme: str, *, legend: bool) -> dict[str, Any]:
    if theme not in THEMES:
        raise Invalid(f"theme must be one of: {', '.join(THEMES)}.", field="theme")
    figure.update_layout(
        **base_layout(theme),
        title={"text": inert(title), "x": 0.02, "xanchor": "left"},
        showlegend=legend,
        legend={"orientation": "h", "y": -0.2},
    )
    style_axes(figure, theme)
    figure_json = json_strict(figure.to_plotly_json())
    figure_json["layout"]["template"] = theme_template(theme)
    return figure_json
