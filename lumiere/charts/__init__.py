"""Charts as a pure library: a result set in, a Plotly figure out.

Nothing here opens a database session, knows a user or calls an LLM; the service
`lumiere.services.charts` does that for stored queries and passes the rows in. The modules:
`spec` (the chart spec), `profile` (what the result's columns are), `choice` (the chart the shape
calls for), `overrides` (checking asked-for charts), `proposal` (the LLM's proposal, checked the
same way), `kinds/` (one module per chart kind over a shared base), `theme`, `escaping`,
`figure` (spec and rows to the API's chart object).
"""

from lumiere.charts.choice import choose_chart
from lumiere.charts.figure import build_figure, chart_payload, saved_chart_payload
from lumiere.charts.overrides import fitting_spec, validate_override
from lumiere.charts.spec import CHART_TYPES, ChartSpec, ChartType
from lumiere.charts.theme import THEMES

__all__ = [
    "CHART_TYPES",
    "THEMES",
    "ChartSpec",
    "ChartType",
    "build_figure",
    "chart_payload",
    "choose_chart",
    "fitting_spec",
    "saved_chart_payload",
    "validate_override",
]
