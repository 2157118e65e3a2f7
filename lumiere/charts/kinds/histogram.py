"""The distribution of one column: numeric bins, or a count per value when it cannot be binned."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lumiere.charts.draft import FigureDraft
from lumiere.charts.escaping import EMPTY_LABEL, inert
from lumiere.charts.kinds.base import (
    axis_value,
    category_order,
    keep_largest,
    new_figure,
    number_format,
    set_axes,
    x_hover_field,
)
from lumiere.charts.limits import MAX_CATEGORIES, MAX_DISCRETE_BARS, MAX_HISTOGRAM_BINS
from lumiere.charts.profile import NUMERIC_KINDS, ColumnProfile, as_number
from lumiere.charts.spec import ChartSpec
from lumiere.core.resultset import ResultSet


def draw_histogram(
    spec: ChartSpec, profiles: dict[str, ColumnProfile], result: ResultSet, notes: list[str]
) -> FigureDraft:
    profile = profiles[spec.x_column]
    numbers = [n for n in (as_number(v) for v in profile.values) if n is not None]
    figure = new_figure()
    binned = _numeric_bins(numbers) if profile.kind in NUMERIC_KINDS and profile.role != "time" else None
    if binned is not None:
        counts, edges = binned
        edge_format = number_format(edges.tolist())
        figure.add_trace(
            go.Bar(
                x=((edges[:-1] + edges[1:]) / 2).tolist(),
                y=counts.tolist(),
                width=(edges[1:] - edges[:-1]).tolist(),
                customdata=np.column_stack([edges[:-1], edges[1:]]).tolist(),
                name="rows",
                hovertemplate=f"{inert(profile.label)}: %{{customdata[0]:{edge_format}}} "
                f"to %{{customdata[1]:{edge_format}}}"
                "<br>Number of rows: %{y:,}<extra></extra>",
            )
        )
        figure.update_layout(bargap=0.02)
        set_axes(figure, profile.label, "Number of rows", y_format=",", x_format=number_format(numbers))
    else:
        frame = pd.DataFrame({"x": profile.values, "y": [1] * len(profile.values)}, dtype=object)
        frame["x"] = [EMPTY_LABEL if value is None else value for value in frame["x"]]
        frame = frame.groupby("x", sort=False)["y"].agg("count").reset_index()
        frame = keep_largest(
            frame,
            "x",
            MAX_DISCRETE_BARS if profile.role == "time" else MAX_CATEGORIES,
            notes,
            f"{profile.label.lower()} values",
        )
        order = category_order(frame[frame["x"] != EMPTY_LABEL], profile, keep_row_order=False)
        if len(order) < len(frame):
            order.append(EMPTY_LABEL)
        rows_per_value = dict(zip(frame["x"].tolist(), frame["y"].tolist(), strict=True))
        figure.add_trace(
            go.Bar(
                x=[axis_value(value, profile) if value != EMPTY_LABEL else EMPTY_LABEL for value in order],
                y=[int(rows_per_value[value]) for value in order],
                name="rows",
                hovertemplate=f"{inert(profile.label)}: {x_hover_field(profile)}"
                "<br>Number of rows: %{y:,}<extra></extra>",
            )
        )
        figure.update_xaxes(type="date" if profile.role == "time" else "category")
        set_axes(figure, profile.label, "Number of rows", y_format=",")
    figure.update_layout(showlegend=False)
    return figure


def _bin_count(numbers: np.ndarray) -> int:
    """numpy's 'auto' rule (the larger of Sturges and Freedman-Diaconis), computed here and capped,
    because asking numpy directly allocates every bin first: millions for a tight cluster and one far value."""
    sturges = math.log2(len(numbers)) + 1
    q1, q3 = np.percentile(numbers, [25, 75])
    width = 2 * (q3 - q1) / len(numbers) ** (1 / 3)
    span = float(numbers.max() - numbers.min())
    freedman = span / width if width > 0 else 0.0
    wanted = max(sturges, freedman) if math.isfinite(freedman) else sturges
    return max(1, min(MAX_HISTOGRAM_BINS, math.ceil(wanted)))


def _numeric_bins(numbers: list[float]) -> tuple[np.ndarray, np.ndarray] | None:
    """Counts and bin edges; None when there is nothing to bin or the values are too extreme for
    float arithmetic (near ±1e308), and the caller counts distinct values instead."""
    if not numbers:
        return None
    values = np.array(numbers, dtype=float)
    with np.errstate(all="ignore"):
        try:
            counts, edges = np.histogram(values, bins=_bin_count(values))
        except ValueError:
            return None
        centres, widths = (edges[:-1] + edges[1:]) / 2, edges[1:] - edges[:-1]
        if not (np.isfinite(edges).all() and np.isfinite(centres).all() and np.isfinite(widths).all()):
            return None
    return counts, edges
