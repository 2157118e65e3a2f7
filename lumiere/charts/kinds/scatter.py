"""Two measures against each other, coloured by a category or shaded by a number, sampled when large."""

from __future__ import annotations

import random
from typing import Any

import plotly.graph_objects as go

from lumiere.charts.draft import FigureDraft
from lumiere.charts.escaping import EMPTY_LABEL, inert, label_text
from lumiere.charts.kinds.base import (
    axis_value,
    hover_template,
    new_figure,
    number_format,
    ordered_axis,
    set_axes,
    x_hover_field,
)
from lumiere.charts.limits import MAX_COLOR_GROUPS, MAX_SCATTER_POINTS
from lumiere.charts.profile import ColumnProfile, as_number, hashable
from lumiere.charts.spec import ChartSpec
from lumiere.core.resultset import ResultSet


def draw_scatter(
    spec: ChartSpec, profiles: dict[str, ColumnProfile], result: ResultSet, notes: list[str]
) -> FigureDraft:
    x_profile, y_profile = profiles[spec.x_column], profiles[spec.y_column]
    color_profile = profiles[spec.color] if spec.color else None
    label_profile = next((p for p in profiles.values() if p.role == "label" and p.unique), None)
    positions = [
        i
        for i, (x, y) in enumerate(zip(x_profile.values, y_profile.values, strict=True))
        if x is not None and as_number(y) is not None
    ]
    if len(positions) > MAX_SCATTER_POINTS:
        notes.append(f"Plotted a random sample of {MAX_SCATTER_POINTS:,} of {len(positions):,} points.")
        positions = sorted(random.Random(0).sample(positions, MAX_SCATTER_POINTS))
    x_numeric = ordered_axis(x_profile) and x_profile.role != "time"
    x_format = number_format(x_profile.values) if x_numeric else None
    y_format = number_format(y_profile.values)

    def trace(indexes: list[int], name: Any, **marker: Any) -> go.Scatter:
        xs = [x_profile.values[i] for i in indexes]
        return go.Scatter(
            x=[as_number(v) for v in xs] if x_numeric else [axis_value(v, x_profile) for v in xs],
            y=[as_number(y_profile.values[i]) for i in indexes],
            mode="markers",
            name=label_text(name) if name is not None else inert(y_profile.label),
            text=[label_text(label_profile.values[i]) for i in indexes] if label_profile else None,
            marker={"size": 7, "opacity": 0.75, **marker},
            hovertemplate=("%{text}<br>" if label_profile else "")
            + hover_template(
                x_profile.label,
                "%{x:" + x_format + "}" if x_format else x_hover_field(x_profile),
                y_profile.label,
                "%{y:" + y_format + "}",
                name,
            ),
        )

    figure = new_figure()
    continuous = color_profile is not None and ordered_axis(color_profile) and color_profile.distinct > MAX_COLOR_GROUPS
    if color_profile is not None and continuous:
        shades = [as_number(color_profile.values[i]) if color_profile.role != "time" else None for i in positions]
        figure.add_trace(
            trace(
                positions,
                None,
                color=shades,
                colorscale="Viridis",
                showscale=True,
                colorbar={"title": {"text": inert(color_profile.label)}, "tickformat": ","},
            )
        )
    elif color_profile is not None:
        groups: dict[Any, list[int]] = {}
        for i in positions:
            groups.setdefault(hashable(color_profile.values[i]), []).append(i)
        ranked = sorted(groups.items(), key=lambda item: -len(item[1]))
        if len(ranked) > MAX_COLOR_GROUPS:
            notes.append(
                f"Showing the {MAX_COLOR_GROUPS} largest of {len(ranked):,} {color_profile.label.lower()} groups."
            )
        for name, indexes in ranked[:MAX_COLOR_GROUPS]:
            figure.add_trace(trace(indexes, EMPTY_LABEL if name is None else name))
    else:
        figure.add_trace(trace(positions, None))
    figure.update_layout(showlegend=color_profile is not None and not continuous)
    if x_profile.role == "time":
        figure.update_xaxes(type="date")
    set_axes(figure, x_profile.label, y_profile.label, y_format=y_format, x_format=x_format)
    return figure
