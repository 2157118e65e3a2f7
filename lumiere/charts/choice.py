"""The chart a result's shape calls for, and its title; `table` when no chart would say more than the rows."""

from __future__ import annotations

import re

from lumiere.charts.limits import (
    MAX_COLOR_GROUPS,
    MAX_DISCRETE_BARS,
    MAX_KPI_VALUES,
    MAX_PIE_SLICES,
    MAX_TITLE_CHARS,
    MIN_HISTOGRAM_ROWS,
)
from lumiere.charts.profile import (
    ColumnProfile,
    additive,
    as_number,
    hashable,
    looks_aggregated,
    name_tokens,
    profile_columns,
)
from lumiere.charts.spec import ChartSpec
from lumiere.core.resultset import ResultSet

_SHARE_WORDS = re.compile(
    r"\b(shares?|proportions?|percent|percentages?|breakdown|composition|split|pie|fraction)\b",
    re.IGNORECASE,
)


def choose_chart(result: ResultSet, *, question: str = "") -> ChartSpec:
    """The chart the result's shape calls for; `table` when no chart would say more than the rows."""
    profiles = profile_columns(result)
    spec = choose_from_profiles(profiles, len(result.rows), question)
    spec.title = chart_title(question, spec, {p.name: p.label for p in profiles})
    return spec


def asked_first(measures: list[ColumnProfile], question: str) -> list[ColumnProfile]:
    """Measures the question names come first, so the chart and the facts are about what was asked."""
    asked = set(name_tokens(question))
    return sorted(measures, key=lambda measure: not asked.intersection(name_tokens(measure.name)))


def choose_from_profiles(profiles: list[ColumnProfile], row_count: int, question: str) -> ChartSpec:
    def spec(
        kind: str, x: ColumnProfile | None = None, y: ColumnProfile | None = None, color: ColumnProfile | None = None
    ) -> ChartSpec:
        return ChartSpec(kind, x.name if x else None, y.name if y else None, color.name if color else None, "")

    if row_count == 0 or not profiles:
        return spec("table")
    measures = asked_first([p for p in profiles if p.role == "measure"], question)
    times = [p for p in profiles if p.role == "time"]
    categories = [p for p in profiles if p.role == "category"]
    labels = [p for p in profiles if p.role == "label"]

    if row_count == 1:  # one row is a number (a big figure), never a one-bar chart
        texts = [p for p in profiles if p.kind == "text" and p.role != "time"]
        named_by = texts or [t for t in times if t.year_like]
        if measures and len(measures) <= MAX_KPI_VALUES and len(texts) <= 1 and len(times) <= 1:
            return spec("kpi", named_by[0] if named_by else None, measures[0])
        if len(profiles) == 1 and times and times[0].year_like:
            return spec("kpi", None, times[0])
        return spec("table")

    if times and measures:
        x = times[0]
        color = _grouping(categories, exclude=x) if not x.unique else None
        return spec("line", x, measures[0], color)

    if categories and measures:
        x = categories[0]
        color = _grouping(categories[1:], exclude=x) if not x.unique else None
        grouped = x.unique or (color is not None and _pairs_unique(x, color))
        if not grouped and len(measures) >= 2:  # raw rows rather than one row per group
            return spec("scatter", measures[0], measures[1], x if x.distinct <= MAX_COLOR_GROUPS else None)
        if color is None and _is_share_question(question) and _pie_ok(x, measures[0]):
            return spec("pie", x, measures[0])
        return spec("bar", x, measures[0], color)

    dimension = _discrete_dimension(measures, row_count)
    if dimension is not None:
        return spec("bar", dimension, next(m for m in measures if m is not dimension))

    if len(measures) >= 2:
        return spec("scatter", measures[0], measures[1], None)

    if len(measures) == 1 and not labels and row_count >= MIN_HISTOGRAM_ROWS:
        return spec("histogram", measures[0])

    return spec("table")


def _discrete_dimension(measures: list[ColumnProfile], row_count: int) -> ColumnProfile | None:
    """An integer column that is really a grouping key (size, hour, rating) next to an aggregate."""
    if len(measures) != 2:
        return None
    for candidate, other in ((measures[0], measures[1]), (measures[1], measures[0])):
        if (
            candidate.kind == "integer"
            and candidate.unique
            and row_count <= MAX_DISCRETE_BARS
            and looks_aggregated(other.name)
            and not looks_aggregated(candidate.name)
        ):
            return candidate
    return None


def _is_share_question(question: str) -> bool:
    return bool(_SHARE_WORDS.search(question or ""))


def _pie_ok(x: ColumnProfile, y: ColumnProfile) -> bool:
    numbers = [as_number(value) for value in y.values]
    return (
        x.unique
        and additive(y)
        and 2 <= x.distinct <= MAX_PIE_SLICES
        and all(number is not None and number >= 0 for number in numbers)
        and sum(n for n in numbers if n) > 0
    )


def _pairs_unique(first: ColumnProfile, second: ColumnProfile) -> bool:
    pairs = {(hashable(a), hashable(b)) for a, b in zip(first.values, second.values, strict=True)}
    return len(pairs) == len(first.values)


def _grouping(categories: list[ColumnProfile], *, exclude: ColumnProfile) -> ColumnProfile | None:
    for candidate in categories:
        if candidate is not exclude and 2 <= candidate.distinct <= MAX_COLOR_GROUPS:
            return candidate
    return None


def chart_title(question: str, spec: ChartSpec, labels: dict[str, str] | None = None) -> str:
    """The question as asked (trimmed), or words made from the columns' labels when there is none
    ("Average price by region")."""
    text = " ".join((question or "").split())
    if text:
        return text if len(text) <= MAX_TITLE_CHARS else text[: MAX_TITLE_CHARS - 1].rstrip() + "…"
    named = labels or {}
    x = named.get(spec.x or "", spec.x or "")
    y = named.get(spec.y or "", spec.y or "")
    x = x[:1].lower() + x[1:] if x[1:2].islower() else x
    if spec.type in ("bar", "line", "area", "pie") and x and y:
        color = named.get(spec.color or "", spec.color or "")
        return f"{y} by {x}" + (f" and {color[:1].lower() + color[1:]}" if color else "")
    if spec.type == "scatter" and x and y:
        return f"{y} vs {x}"
    if spec.type == "histogram" and x:
        return f"Distribution of {x}"
    if spec.type == "kpi" and y:
        return y
    return "Result"
