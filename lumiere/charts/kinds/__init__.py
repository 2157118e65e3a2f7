"""One module per chart kind, each drawing a figure from a spec and the result's column profiles
over the shared base in `kinds.base`."""

from lumiere.charts.kinds.bar import draw_bar
from lumiere.charts.kinds.base import Builder
from lumiere.charts.kinds.histogram import draw_histogram
from lumiere.charts.kinds.kpi import draw_kpi
from lumiere.charts.kinds.line import draw_line
from lumiere.charts.kinds.pie import draw_pie
from lumiere.charts.kinds.scatter import draw_scatter
from lumiere.charts.kinds.table import draw_table

BUILDERS: dict[str, Builder] = {
    "bar": draw_bar,
    "line": draw_line,
    "area": draw_line,
    "scatter": draw_scatter,
    "histogram": draw_histogram,
    "pie": draw_pie,
    "kpi": draw_kpi,
    "table": draw_table,
}

__all__ = ["BUILDERS", "draw_table"]
