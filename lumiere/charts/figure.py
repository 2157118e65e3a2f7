"""A spec and a result in, the API's chart object out: the kind's figure, themed, as plain JSON,
with notes on what was aggregated or cut."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Protocol

from lumiere.charts.choice import choose_chart
from lumiere.charts.kinds import BUILDERS, draw_table
from lumiere.charts.overrides import fitting_spec
from lumiere.charts.profile import profile_columns
from lumiere.charts.spec import ChartSpec
from lumiere.charts.theme import THEMES, apply_theme, theme_template
from lumiere.core.errors import Invalid
from lumiere.core.json_values import json_strict
from lumiere.core.lru import BoundedLru
from lumiere.core.resultset import ResultSet

# Figures already drawn, by a digest of everything that shapes one. A repeated question, a dashboard
# refresh or a chart opened again from history brings the same rows, and drawing reads them through
# pandas again (1-5 ms on the one core a process's Python gets, more for long results). Kept as JSON
# text so that every caller gets a copy of its own to change.
_DRAWN: BoundedLru[bytes, tuple[str, tuple[str, ...]]] = BoundedLru(max_entries=512, max_bytes=32 * 1024 * 1024)


def build_figure(spec: ChartSpec, result: ResultSet, *, theme: str = "light") -> tuple[dict[str, Any], list[str]]:
    """Plotly JSON (plain lists, numbers and escaped strings only) and notes on what was aggregated or cut."""
    if theme not in THEMES:
        raise Invalid(f"theme must be one of: {', '.join(THEMES)}.", field="theme")
    key = _drawing_key(spec, result, theme)
    drawn = _DRAWN.get(key)
    if drawn is None:
        figure_json, notes = _draw(spec, result, theme)
        text = json.dumps(figure_json, separators=(",", ":"))
        _DRAWN.put(key, (text, tuple(notes)), size=len(text))
        return figure_json, notes
    text, kept_notes = drawn
    return json.loads(text), list(kept_notes)


def _drawing_key(spec: ChartSpec, result: ResultSet, theme: str) -> bytes:
    """What a figure depends on: the spec, the theme, the columns (with units), the rows, and the SQL
    (axis labels are read from it). Not the run's duration or whether the rows came from a cache."""
    shape = [spec.to_dict(), theme, [column.to_dict() for column in result.columns], result.rows,
             result.row_count, result.truncated, result.sql]
    encoded = json.dumps(shape, default=repr, separators=(",", ":")).encode()
    return hashlib.blake2b(encoded, digest_size=20).digest()


def _draw(spec: ChartSpec, result: ResultSet, theme: str) -> tuple[dict[str, Any], list[str]]:
    profiles = {profile.name: profile for profile in profile_columns(result)}
    notes: list[str] = []
    if result.truncated:
        notes.append(f"The chart uses the first {len(result.rows):,} of {result.row_count:,} rows.")
    builder = BUILDERS.get(spec.type, draw_table)
    if any(name is not None and name not in profiles for name in (spec.x, spec.y, spec.color)):
        notes.append("The chosen chart no longer fits these columns, so the rows are shown as a table.")
        builder = draw_table
    figure = builder(spec, profiles, result, notes)
    color = profiles.get(spec.color or "")
    figure_json = figure.to_plotly_json()
    apply_theme(figure_json.setdefault("layout", {}), spec, theme, legend_title=color.label if color else "")
    figure_json = json_strict(figure_json)
    figure_json["layout"]["template"] = theme_template(theme)
    return figure_json, list(dict.fromkeys(notes))


def chart_payload(spec: ChartSpec, result: ResultSet, *, theme: str = "light") -> dict[str, Any]:
    """The API's `chart` object."""
    figure, notes = build_figure(spec, result, theme=theme)
    return {
        "type": spec.type,
        "x": spec.x,
        "y": spec.y,
        "color": spec.color,
        "title": spec.title,
        "figure": figure,
        "notes": notes,
    }


class StoredChoice(Protocol):
    """A stored query as far as its chart is concerned: the choice saved on it and the question asked."""

    chart_json: dict[str, Any] | None
    question: str


def saved_chart_payload(query: StoredChoice, result: ResultSet, *, theme: str = "light") -> dict[str, Any]:
    """The chart a stored query shows for rows already read: its saved choice while it fits, else the automatic one."""
    spec = fitting_spec(query.chart_json, result) or choose_chart(result, question=query.question)
    return chart_payload(spec, result, theme=theme)
