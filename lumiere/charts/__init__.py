"""Charts as a pure library: a result set in, a Plotly figure out.

Nothing here opens a database session, knows a user or calls an LLM; the service
`lumiere.services.charts` does that for stored queries and passes the rows in.
"""

from lumiere.charts.kinds.base import (
    CHART_TYPES,
    THEMES,
    ChartSpec,
    build_figure,
    chart_payload,
    choose_chart,
    fitting_spec,
    saved_chart_payload,
    validate_override,
)

__all__ = [
    "CHART_TYPES",
    "THEMES",
    "ChartSpec",
    "build_figure",
    "chart_payload",
    "choose_chart",
    "fitting_spec",
    "saved_chart_payload",
    "validate_override",
]
