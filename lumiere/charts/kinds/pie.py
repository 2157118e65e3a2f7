"""Shares of a total, the smallest slices folded into "Other"."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from lumiere.charts.draft import FigureDraft
from lumiere.charts.escaping import inert, label_text
from lumiere.charts.kinds.base import aggregate, new_figure, number_format, plot_frame
from lumiere.charts.limits import MAX_PIE_SLICES
from lumiere.charts.profile import ColumnProfile
from lumiere.charts.spec import ChartSpec
from lumiere.core.resultset import ResultSet


def draw_pie(spec: ChartSpec, profiles: dict[str, ColumnProfile], result: ResultSet, notes: list[str]) -> FigureDraft:
    frame, _how = aggregate(plot_frame(profiles, x=spec.x, y=spec.y), ["x"], spec, notes)
    slices = sorted(
        (
            (label, value)
            for label, value in zip(frame["x"].tolist(), frame["y"].tolist(), strict=True)
            if value is not None and not pd.isna(value) and value > 0
        ),
        key=lambda pair: -pair[1],
    )
    labels, values = [label_text(label) for label, _ in slices], [float(value) for _, value in slices]
    if len(labels) > MAX_PIE_SLICES:
        kept = MAX_PIE_SLICES - 1
        notes.append(f"The {len(labels) - kept:,} smallest of {len(labels):,} slices are combined into 'Other'.")
        labels, values = [*labels[:kept], "Other"], [*values[:kept], sum(values[kept:])]
    return new_figure(
        go.Pie(
            labels=labels,
            values=values,
            sort=False,
            hole=0.35,
            textinfo="label+percent",
            hovertemplate="%{label}<br>"
            + inert(profiles[spec.y_column].label)
            + ": %{value:"
            + number_format(values)
            + "}<br>%{percent}<extra></extra>",
        )
    )
