"""A chart someone asked for (a user, a saved choice, an engine hint, an LLM), checked against the result.

Every requested chart goes through `validate_override`, so a type outside the list or a column
the result lacks is a 422 that says what would work, whoever sent it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lumiere.charts.choice import chart_title, choose_from_profiles
from lumiere.charts.limits import MAX_TITLE_CHARS
from lumiere.charts.profile import NUMERIC_KINDS, ColumnProfile, additive, as_number, profile_columns
from lumiere.charts.spec import CHART_TYPES, ChartSpec
from lumiere.core.errors import Invalid
from lumiere.core.resultset import ResultSet

OVERRIDE_FIELDS = ("type", "x", "y", "color", "title")
_SERIES_TYPES = ("line", "area", "bar")


def validate_override(
    result: ResultSet,
    *,
    type: Any,
    x: Any = None,
    y: Any = None,
    color: Any = None,
    title: Any = None,
) -> ChartSpec:
    """A chart someone asked for (a user, a saved choice, an engine hint, an LLM), checked against the result.

    Missing columns are filled in from the automatic choice where they fit; a type outside
    CHART_TYPES, a column the result does not have, or a column that cannot play the asked
    role is a 422 that says what would work.
    """
    if not isinstance(type, str) or type.strip().lower() not in CHART_TYPES:
        raise Invalid(f"Unknown chart type {type!r}; use one of: {', '.join(CHART_TYPES)}.", field="type")
    chart_type = type.strip().lower()
    profiles = profile_columns(result)
    by_name = {profile.name: profile for profile in profiles}
    x_col = _resolve_column(profiles, x, "x")
    y_col = _resolve_column(profiles, y, "y")
    color_col = _resolve_column(profiles, color, "color")
    if title is not None and not isinstance(title, str):
        raise Invalid("title must be text.", field="title")

    automatic = choose_from_profiles(profiles, len(result.rows), "")
    measures = [p for p in profiles if p.role == "measure"]
    numeric = measures + [p for p in profiles if p.kind in NUMERIC_KINDS and p.role == "time"]
    numeric_names = ", ".join(p.name for p in numeric) or "none"

    def pick(*groups: Sequence[ColumnProfile | None], avoid: ColumnProfile | None = None) -> ColumnProfile | None:
        """The first column of the first group that has one, never the column already used."""
        for group in groups:
            for profile in group:
                if profile is not None and profile is not avoid:
                    return profile
        return None

    def suggested(name: str | None) -> list[ColumnProfile]:
        return [by_name[name]] if name in by_name else []

    if chart_type == "table":
        x_col = y_col = color_col = None
    elif chart_type == "histogram":
        x_col = x_col or pick(suggested(automatic.x if automatic.type == "histogram" else None), measures, profiles)
        if x_col is None:
            raise Invalid("A histogram needs a column for x; this result has none.", field="x")
        y_col = None  # a histogram counts rows
    else:
        y_col = y_col or pick([p for p in suggested(automatic.y) if p in measures], measures, numeric, avoid=x_col)
        if y_col is None or not any(y_col is p for p in numeric):
            raise Invalid(
                f"{_article(chart_type).capitalize()} {chart_type} chart needs a numeric column for y; "
                f"numeric columns here: {numeric_names}.",
                field="y",
                columns=[p.name for p in numeric],
            )
        if chart_type != "kpi" and x_col is None:
            preferred = {
                "line": [p for p in profiles if p.role == "time"],
                "area": [p for p in profiles if p.role == "time"],
                "bar": [p for p in profiles if p.role == "category"],
                "pie": [p for p in profiles if p.role == "category"],
                "scatter": measures,
            }[chart_type]
            x_col = pick(preferred, suggested(automatic.x), profiles, avoid=y_col)
            if x_col is None:
                raise Invalid(
                    f"{_article(chart_type).capitalize()} {chart_type} chart needs an x column besides {y_col.name}.",
                    field="x",
                )
        if chart_type == "pie":
            if not additive(y_col):
                raise Invalid(
                    f"A pie shows parts of a whole, and {y_col.label.lower()} does not add up across "
                    f"{x_col.label.lower() if x_col else 'the rows'}; use a bar chart.",
                    field="type",
                )
            if any((number := as_number(value)) is not None and number < 0 for value in y_col.values):
                raise Invalid(
                    f"A pie cannot show negative values and {y_col.name} has some; use a bar chart.", field="type"
                )
            color_col = None
    if color_col is not None and any(color_col is used for used in (x_col, y_col)):
        color_col = None

    spec = ChartSpec(
        chart_type,
        x_col.name if x_col else None,
        y_col.name if y_col else None,
        color_col.name if color_col else None,
        "",
    )
    spec.title = " ".join(title.split())[:MAX_TITLE_CHARS] if isinstance(title, str) and title.strip() else ""
    spec.title = spec.title or chart_title("", spec, {p.name: p.label for p in profiles})
    return spec


def fitting_spec(chart_json: dict[str, Any] | None, result: ResultSet) -> ChartSpec | None:
    """A saved or proposed chart choice, validated against these rows; None when it no longer fits."""
    if not chart_json:
        return None
    saved = ChartSpec.from_dict(chart_json)
    automatic = choose_from_profiles(profile_columns(result), len(result.rows), "")
    if len(result.rows) == 1 and automatic.type == "kpi" and saved.type in ("bar", "line", "area", "pie"):
        return None  # one row reads as a number, not a one-bar chart
    if "color" not in chart_json and automatic.color and automatic.x == saved.x and saved.type in _SERIES_TYPES:
        saved.color = automatic.color  # an engine hint that left out the second category: one line per group
    try:
        return validate_override(result, **saved.to_dict())
    except Invalid:
        return None  # the data changed shape since it was chosen


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _resolve_column(profiles: list[ColumnProfile], name: Any, field: str) -> ColumnProfile | None:
    if name is None or name == "":
        return None
    names = [profile.name for profile in profiles]
    if isinstance(name, str):
        for profile in profiles:
            if profile.name == name:
                return profile
        folded = [profile for profile in profiles if profile.name.casefold() == name.casefold()]
        if len(folded) == 1:
            return folded[0]
    shown = name if isinstance(name, str) and len(name) <= 80 else "that"
    raise Invalid(
        f"The result has no column {shown!r} for {field}; its columns are: {', '.join(names) or 'none'}.",
        field=field,
        columns=names,
    )
