"""The rows themselves, when no chart would say more."""

from __future__ import annotations

import plotly.graph_objects as go

from lumiere.charts.draft import FigureDraft
from lumiere.charts.escaping import inert
from lumiere.charts.kinds.base import new_figure, number_format
from lumiere.charts.limits import MAX_TABLE_ROWS
from lumiere.charts.profile import NUMERIC_KINDS, ColumnProfile, as_number
from lumiere.charts.spec import ChartSpec
from lumiere.core.resultset import ResultSet


def draw_table(spec: ChartSpec, profiles: dict[str, ColumnProfile], result: ResultSet, notes: list[str]) -> FigureDraft:
    if len(result.rows) > MAX_TABLE_ROWS:
        notes.append(f"The table figure shows the first {MAX_TABLE_ROWS:,} of {len(result.rows):,} rows.")
    cells: list[list[float | None] | list[str]] = []
    formats: list[str] = []
    for profile in profiles.values():
        values = profile.values[:MAX_TABLE_ROWS]
        if profile.kind in NUMERIC_KINDS and profile.role in ("measure", "id"):
            cells.append([as_number(v) for v in values])
            formats.append(number_format(values) if profile.role == "measure" else "d")
        else:
            cells.append(["" if v is None else inert(v) for v in values])
            formats.append("")
    return new_figure(
        go.Table(
            header={"values": [inert(p.name) for p in profiles.values()], "align": "left"},
            cells={"values": cells, "format": formats, "align": "left"},
        )
    )
