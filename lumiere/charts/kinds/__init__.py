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
from lumiere.charts.spec import ChartType

BUILDERS: dict[str, Builder] = {  # keyed by ChartType, which looks up as its plain string too
    ChartType.BAR: draw_bar,
    ChartType.LINE: draw_line,
    ChartType.AREA: draw_line,
    ChartType.SCATTER: draw_scatter,
    ChartType.HISTOGRAM: draw_histogram,
    ChartType.PIE: draw_pie,
    ChartType.KPI: draw_kpi,
    ChartType.TABLE: draw_table,
}

__all__ = ["BUILDERS", "draw_table"]
