"""Bars per category (or per time or number), grouped by a colour column when there is one."""

from __future__ import annotations

import plotly.graph_objects as go

from lumiere.charts.draft import FigureDraft
from lumiere.charts.escaping import inert, label_text
from lumiere.charts.kinds.base import (
    aggregate,
    axis_value,
    category_order,
    hover_template,
    keep_largest,
    measure_title,
    monotonic,
    new_figure,
    ordered_axis,
    plot_frame,
    series_of,
    set_axes,
    time_format,
    value_style,
    x_hover_field,
)
from lumiere.charts.limits import MAX_CATEGORIES, MAX_COLOR_GROUPS, MAX_DISCRETE_BARS
from lumiere.charts.profile import ColumnProfile
from lumiere.charts.spec import ChartSpec
from lumiere.core.resultset import ResultSet


def draw_bar(spec: ChartSpec, profiles: dict[str, ColumnProfile], result: ResultSet, notes: list[str]) -> FigureDraft:
    x_profile = profiles[spec.x_column]
    frame = plot_frame(profiles, x=spec.x, y=spec.y, c=spec.color)
    keys = ["x", "c"] if spec.color else ["x"]
    keep_row_order = not frame.duplicated(subset=keys).any() and monotonic(frame["y"].tolist())
    frame, how = aggregate(frame, keys, spec, notes)
    limit = MAX_DISCRETE_BARS if ordered_axis(x_profile) else MAX_CATEGORIES
    frame = keep_largest(frame, "x", limit, notes, f"{x_profile.label.lower()} values")
    if spec.color:
        frame = keep_largest(frame, "c", MAX_COLOR_GROUPS, notes, f"{profiles[spec.color].label.lower()} groups")
    order = category_order(frame, x_profile, keep_row_order=keep_row_order)
    y_profile = profiles[spec.y_column]
    y_style = value_style(y_profile, result, frame["y"].tolist())
    y_title = measure_title(y_profile, how)
    figure = new_figure()
    for name, part in series_of(frame, spec.color):
        by_x = dict(zip(part["x"].tolist(), part["y"].tolist(), strict=True))
        xs = [value for value in order if value in by_x]
        figure.add_trace(
            go.Bar(
                x=[axis_value(value, x_profile) for value in xs],
                y=[by_x[value] for value in xs],
                name=label_text(name) if spec.color else inert(y_profile.label),
                hovertemplate=hover_template(
                    x_profile.label, x_hover_field(x_profile), y_title, y_style.hover("y"), name
                ),
            )
        )
    figure.update_layout(barmode="group", showlegend=bool(spec.color))
    if x_profile.role == "time":
        figure.update_xaxes(type="date", hoverformat=time_format(x_profile))
    else:
        axis_order = [axis_value(value, x_profile) for value in order]
        figure.update_xaxes(type="category", categoryorder="array", categoryarray=axis_order)
    set_axes(figure, x_profile.label, y_title, y_style=y_style)
    return figure
