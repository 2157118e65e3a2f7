"""The shared figure base every chart kind draws on: the plotted frame, aggregation and limits,
axis order (time and numbers ascending, weekdays and months in calendar order), number and
time formats, hover text and axes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from typing import Any

import pandas as pd

from lumiere.charts.draft import FigureDraft, PlotlyTrace
from lumiere.charts.escaping import EMPTY_LABEL, inert, label_text
from lumiere.charts.profile import (
    NUMERIC_KINDS,
    ColumnProfile,
    aggregation_for,
    as_number,
    display_unit,
    percent_scale,
)
from lumiere.charts.spec import ChartSpec
from lumiere.core.resultset import ResultSet, unit_affixes

_WEEKDAYS = [
    ("monday", "mon"),
    ("tuesday", "tue", "tues"),
    ("wednesday", "wed"),
    ("thursday", "thu", "thur", "thurs"),
    ("friday", "fri"),
    ("saturday", "sat"),
    ("sunday", "sun"),
]

_MONTHS = [
    ("january", "jan"),
    ("february", "feb"),
    ("march", "mar"),
    ("april", "apr"),
    ("may",),
    ("june", "jun"),
    ("july", "jul"),
    ("august", "aug"),
    ("september", "sep", "sept"),
    ("october", "oct"),
    ("november", "nov"),
    ("december", "dec"),
]

_CALENDARS = [
    {name: position for position, names in enumerate(_WEEKDAYS) for name in names},
    {name: position for position, names in enumerate(_MONTHS) for name in names},
]

Builder = Callable[[ChartSpec, dict[str, ColumnProfile], ResultSet, list[str]], FigureDraft]


def new_figure(*traces: PlotlyTrace) -> FigureDraft:
    """A figure with no template: the theme's template is attached as JSON at the end, which is far
    cheaper than letting Plotly validate and copy it for every figure."""
    figure = FigureDraft()
    for trace in traces:
        figure.add_trace(trace)
    return figure


def ordered_axis(profile: ColumnProfile) -> bool:
    """Time and numbers sit on a continuous, sorted axis; everything else is a category."""
    return profile.role == "time" or (profile.kind in NUMERIC_KINDS and profile.role != "other")


def number_format(values: Sequence[Any]) -> str:
    """d3 format with thousands separators; decimals only when the values have them."""
    numbers = [n for n in (as_number(value) for value in values) if n is not None]
    if all(float(n).is_integer() for n in numbers):
        return ","
    largest = max((abs(n) for n in numbers), default=0)
    return ",.2~f" if largest >= 1 else ",.3~g"


def _time_key(value: Any, year_like: bool) -> str:
    """ISO text Plotly reads as a date; years become January 1st so the axis is a date axis."""
    if year_like:
        return f"{int(as_number(value) or 0):04d}-01-01"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def time_format(profile: ColumnProfile) -> str:
    if profile.year_like:
        return "%Y"
    sample = next((str(v) for v in profile.values if v is not None), "")
    if len(sample) == 7:
        return "%b %Y"
    if profile.kind == "datetime" or len(sample) > 10:
        return "%Y-%m-%d %H:%M"
    return "%Y-%m-%d"


def axis_value(value: Any, profile: ColumnProfile) -> Any:
    if profile.role == "time":
        return _time_key(value, profile.year_like)
    return label_text(value)


def x_hover_field(profile: ColumnProfile) -> str:
    return "%{x|" + time_format(profile) + "}" if profile.role == "time" else "%{x}"


def sort_key(value: Any, profile: ColumnProfile) -> Any:
    if profile.role == "time":
        return _time_key(value, profile.year_like)
    return as_number(value) or 0.0


def plot_frame(profiles: dict[str, ColumnProfile], **roles: str | None) -> pd.DataFrame:
    """The columns a chart plots under the names x, y, c: y as numbers, missing categories labelled,
    rows without a position on a time or numeric x axis dropped."""
    frame = pd.DataFrame({role: profiles[name].values for role, name in roles.items() if name}, dtype=object)
    for role in ("x", "c"):
        name = roles.get(role)
        if not name:
            continue
        if role == "x" and ordered_axis(profiles[name]):
            frame = frame[frame["x"].notna()]
        else:
            frame[role] = [EMPTY_LABEL if value is None else value for value in frame[role]]
    if "y" in frame:
        frame["y"] = [as_number(value) for value in frame["y"]]
    return frame.reset_index(drop=True)


def aggregate(
    frame: pd.DataFrame, keys: list[str], spec: ChartSpec, notes: list[str]
) -> tuple[pd.DataFrame, str | None]:
    """One row per key, summed or averaged by what the measure's name says; None when nothing repeated."""
    if not frame.duplicated(subset=keys).any():
        return frame, None
    how = aggregation_for(spec.y or "")
    grouped = frame.groupby(keys, dropna=False, sort=False)["y"].agg(lambda s: _combine(s, how)).reset_index()
    per = spec.x_column + (f" and {spec.color}" if spec.color and "c" in keys else "")
    word = "Summed" if how == "sum" else "Averaged"
    notes.append(f"{word} {spec.y} per {per}: {len(frame):,} rows make {len(grouped):,} points.")
    return grouped, how


def _combine(series: pd.Series, how: str) -> float | None:
    numbers = [number for number in series if number is not None and not pd.isna(number)]
    if not numbers:
        return None
    return float(sum(numbers) if how == "sum" else sum(numbers) / len(numbers))


def keep_largest(frame: pd.DataFrame, role: str, limit: int, notes: list[str], what: str) -> pd.DataFrame:
    """Keeps the `limit` groups with the largest values, with a note saying how many there were."""
    weights = frame.groupby(role, dropna=False, sort=False)["y"].agg(
        lambda s: sum(abs(n) for n in s if n is not None and not pd.isna(n))
    )
    if len(weights) <= limit:
        return frame
    keep = set(weights.sort_values(ascending=False, kind="stable").index[:limit])
    notes.append(f"Showing the {limit} largest of {len(weights):,} {what}.")
    return frame[frame[role].isin(keep)]


def measure_title(profile: ColumnProfile, how: str | None) -> str:
    """The measure in words, saying when the chart added up or averaged repeated rows."""
    label = profile.label or profile.name
    word = {"sum": "Total", "mean": "Average"}.get(how or "")
    if word is None or label.lower().startswith((word.lower() + " ", "number of ")):
        return label
    return f"{word} {label[:1].lower() + label[1:] if not label[1:2].isupper() else label}"


@dataclass(frozen=True)
class ValueStyle:
    """How a measure's numbers read on an axis and in the hover: d3 format, currency or % around it."""

    format: str
    prefix: str = ""
    suffix: str = ""

    def hover(self, field: str) -> str:
        return f"{inert(self.prefix)}%{{{field}:{self.format}}}{inert(self.suffix)}"


def value_style(profile: ColumnProfile, result: ResultSet, values: Sequence[Any]) -> ValueStyle:
    """Thousands separators always; "$" or "€" when the semantic layer or the name says a currency;
    a 0-1 share or rate as a percentage; 0-100 percentages with "%"."""
    if percent_scale(profile) == "fraction" and not result.unit_of(profile.name):
        return ValueStyle(",.1~%")
    prefix, suffix = unit_affixes(display_unit(profile, result.unit_of(profile.name)))
    return ValueStyle(number_format(values), prefix, suffix)


def _calendar_rank(values: Sequence[Any]) -> dict[Any, int] | None:
    texts = [str(v).strip().lower().rstrip(".") for v in values]
    for calendar in _CALENDARS:
        if texts and all(text in calendar for text in texts):
            return {value: calendar[text] for value, text in zip(values, texts, strict=True)}
    return None


def monotonic(numbers: Sequence[Any]) -> bool:
    """True when the rows already come sorted by the value (the query had its own ORDER BY)."""
    values = list(numbers)
    if len(values) < 3 or any(n is None or pd.isna(n) for n in values):
        return False
    pairs = list(pairwise(values))
    return all(a >= b for a, b in pairs) or all(a <= b for a, b in pairs)


def category_order(frame: pd.DataFrame, profile: ColumnProfile, *, keep_row_order: bool) -> list[Any]:
    """Time and numbers ascending, weekdays and months in calendar order, the query's own order when
    it sorted by the value, otherwise the largest first."""
    values = list(dict.fromkeys(frame["x"].tolist()))
    if ordered_axis(profile):
        return sorted(values, key=lambda v: sort_key(v, profile))
    if (rank := _calendar_rank(values)) is not None:
        return sorted(values, key=lambda v: rank[v])
    if keep_row_order:
        return values
    totals = frame.groupby("x", dropna=False, sort=False)["y"].agg(
        lambda s: sum(n for n in s if n is not None and not pd.isna(n))
    )
    return sorted(values, key=lambda v: -float(totals[v]))


def series_of(frame: pd.DataFrame, color: str | None) -> list[tuple[Any, pd.DataFrame]]:
    """One trace per colour value, in the values' own order: the same chart whatever order the
    rows came back in."""
    if not color:
        return [(None, frame)]
    names = sorted(dict.fromkeys(frame["c"].tolist()), key=_natural_key)
    return [(name, frame[frame["c"] == name]) for name in names]


def _natural_key(value: Any) -> tuple[int, Any]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return (2, "")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, float(value))
    return (1, str(value))


def hover_template(x_name: str, x_field: str, y_name: str, y_field: str, series: Any = None) -> str:
    head = f"{label_text(series)}<br>" if series is not None else ""
    return f"{head}{inert(x_name)}: {x_field}<br>{inert(y_name)}: {y_field}<extra></extra>"


def set_axes(
    figure: FigureDraft,
    x_title: str,
    y_title: str,
    *,
    y_format: str | None = None,
    x_format: str | None = None,
    y_style: ValueStyle | None = None,
) -> None:
    x_axis: dict[str, Any] = {"title": {"text": inert(x_title)}, "automargin": True}
    y_axis: dict[str, Any] = {"title": {"text": inert(y_title)}, "automargin": True}
    if x_format:
        x_axis["tickformat"] = x_format
    if y_style is not None:
        y_axis.update(tickformat=y_style.format, tickprefix=inert(y_style.prefix), ticksuffix=inert(y_style.suffix))
    elif y_format:
        y_axis["tickformat"] = y_format
    figure.update_layout(xaxis=x_axis, yaxis=y_axis)
