"""One row's measures as big numbers."""

from __future__ import annotations

import plotly.graph_objects as go

from lumiere.charts.draft import FigureDraft
from lumiere.charts.escaping import inert, label_text
from lumiere.charts.kinds.base import new_figure, number_format
from lumiere.charts.limits import MAX_KPI_VALUES
from lumiere.charts.profile import ColumnProfile, as_number
from lumiere.charts.spec import ChartSpec
from lumiere.core.resultset import ResultSet, unit_affixes


def draw_kpi(spec: ChartSpec, profiles: dict[str, ColumnProfile], result: ResultSet, notes: list[str]) -> FigureDraft:
    first = profiles[spec.y_column]
    others = [p for p in profiles.values() if p is not first and p.role == "measure"]
    shown = [first, *others[: MAX_KPI_VALUES - 1]]
    label = profiles[spec.x].values[0] if spec.x and profiles[spec.x].values else None
    if len(result.rows) > 1:
        notes.append(f"The figure shows the first of {len(result.rows):,} rows.")
    figure = new_figure()
    for position, profile in enumerate(shown):
        value = as_number(profile.values[0]) if profile.values else None
        heading = f"{label_text(label)} · {inert(profile.label)}" if label is not None else inert(profile.label)
        value_format = "d" if profile.year_like else (number_format([value]) if value is not None else ",")
        prefix, suffix = unit_affixes(result.unit_of(profile.name))
        figure.add_trace(
            go.Indicator(
                mode="number",
                value=value,
                number={"valueformat": value_format, "prefix": inert(prefix), "suffix": inert(suffix)},
                title={"text": heading if value is not None else f"{heading}: no value"},
                domain={"x": [position / len(shown), (position + 1) / len(shown)], "y": [0, 1]},
            )
        )
    return figure
