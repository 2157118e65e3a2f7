"""A figure while it is drawn, kept as Plotly's JSON.

Each trace is still built (and checked) by Plotly's own trace class, but the figure around them is
plain dictionaries: Plotly's `Figure` sends every `add_trace`, `update_layout` and `update_xaxes`
through its property machinery again, which cost more than everything else in drawing a bar chart
(about 9 of 11 ms, the largest CPU cost of a first-time answer under load).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Protocol


class PlotlyTrace(Protocol):
    """`go.Bar`, `go.Scatter`, …: anything that gives its JSON the way Plotly draws it."""

    def to_plotly_json(self) -> dict[str, Any]: ...


@dataclass
class FigureDraft:
    """The subset of Plotly's `Figure` the chart kinds use, with the same JSON out."""

    data: list[dict[str, Any]] = field(default_factory=list)
    layout: dict[str, Any] = field(default_factory=dict)

    def add_trace(self, trace: PlotlyTrace) -> None:
        self.data.append(trace.to_plotly_json())

    def update_layout(self, **values: Any) -> None:
        merge_layout(self.layout, values)

    def update_xaxes(self, **values: Any) -> None:
        merge_layout(self.layout, {"xaxis": values})

    def update_yaxes(self, **values: Any) -> None:
        merge_layout(self.layout, {"yaxis": values})

    def to_plotly_json(self) -> dict[str, Any]:
        """A copy: a caller may change it (the theme is merged in) without changing the draft."""
        return {"data": copy.deepcopy(self.data), "layout": copy.deepcopy(self.layout)}


def merge_layout(into: dict[str, Any], values: dict[str, Any]) -> None:
    """`values` into `into`, nested dictionaries merged key by key as Plotly's update does; a None
    leaves the property unset, as Plotly leaves it out of its JSON."""
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, dict):
            merge_layout(into.setdefault(key, {}), value)
        else:
            into[key] = value
