"""Lines and areas over time or a number, one series per colour value, long series thinned."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from lumiere.charts.draft import FigureDraft
from lumiere.charts.escaping import inert, label_text
from lumiere.charts.kinds.base import (
    aggregate,
    axis_value,
    hover_template,
    keep_largest,
    measure_title,
    new_figure,
    number_format,
    ordered_axis,
    plot_frame,
    series_of,
    set_axes,
    sort_key,
    time_format,
    value_style,
    x_hover_field,
)
from lumiere.charts.limits import MAX_COLOR_GROUPS, MAX_LINE_POINTS
from lumiere.charts.profile import ColumnProfile, as_number
from lumiere.charts.spec import ChartSpec
from lumiere.core.resultset import ResultSet


def draw_line(spec: ChartSpec, profiles: dict[str, ColumnProfile], result: ResultSet, notes: list[str]) -> FigureDraft:
    x_profile = profiles[spec.x_column]
    frame = plot_frame(profiles, x=spec.x, y=spec.y, c=spec.color)
    frame, how = aggregate(frame, ["x", "c"] if spec.color else ["x"], spec, notes)
    if spec.color:
        frame = keep_largest(frame, "c", MAX_COLOR_GROUPS, notes, f"{profiles[spec.color].label.lower()} groups")
    stacked = spec.type == "area" and bool(spec.color)
    y_profile = profiles[spec.y_column]
    y_style = value_style(y_profile, result, frame["y"].tolist())
    y_title = measure_title(y_profile, how)
    figure = new_figure()
    for name, group in series_of(frame, spec.color):
        part = group
        if ordered_axis(x_profile):
            part = part.assign(_key=[sort_key(v, x_profile) for v in part["x"]]).sort_values("_key", kind="stable")
        part = _thin(part, MAX_LINE_POINTS, notes)
        figure.add_trace(
            go.Scatter(
                x=[
                    axis_value(v, x_profile)
                    if not ordered_axis(x_profile) or x_profile.role == "time"
                    else as_number(v)
                    for v in part["x"]
                ],
                y=part["y"].tolist(),
                mode="lines+markers" if len(part) <= 60 else "lines",
                name=label_text(name) if spec.color else inert(y_profile.label),
                fill=("tonexty" if stacked else "tozeroy") if spec.type == "area" else None,
                stackgroup="one" if stacked else None,
                connectgaps=False,
                hovertemplate=hover_template(
                    x_profile.label, x_hover_field(x_profile), y_title, y_style.hover("y"), name
                ),
            )
        )
    figure.update_layout(showlegend=bool(spec.color), hovermode="closest")
    x_format = None
    if x_profile.role == "time":
        figure.update_xaxes(type="date", hoverformat=time_format(x_profile))
    elif ordered_axis(x_profile):
        x_format = number_format(x_profile.values)
    else:
        figure.update_xaxes(type="category")
    set_axes(figure, x_profile.label, y_title, y_style=y_style, x_format=x_format)
    return figure


def _thin(part: pd.DataFrame, limit: int, notes: list[str]) -> pd.DataFrame:
    """Every k-th point, keeping the last, so a long series keeps its shape with a bounded payload."""
    if len(part) <= limit:
        return part
    step = math.ceil(len(part) / limit)
    positions = list(range(0, len(part), step))
    if positions[-1] != len(part) - 1:
        positions.append(len(part) - 1)
    notes.append(f"Long series are thinned to every {step}th point (at most {limit + 1:,} points each).")
    return part.iloc[positions]
