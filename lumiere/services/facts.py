"""Facts computed from a query's rows: totals, top and bottom items with shares, change over time,
outliers and correlation, each a JSON object with a plain sentence (`text`).

Pure functions of a result set (no session, no user): insights narrate them, explorations
quote them under their cards. The sentences are inert markdown (`safe_markdown`).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np

from lumiere.charts.choice import asked_first
from lumiere.charts.limits import MAX_KPI_VALUES
from lumiere.charts.profile import ColumnProfile, aggregation_for, as_number, profile_columns
from lumiere.core.resultset import ResultSet
from lumiere.core.text import plural
from lumiere.services.markdown_safety import safe_markdown
from lumiere.services.result_units import with_unit

MAX_MEASURES = 2  # facts for the first two measures keep the narrative short
TOP_ITEMS = 3
MAX_OUTLIERS = 5
MIN_ROWS_FOR_OUTLIERS = 8
MAX_LABEL_CHARS = 80

_NUMBER_RE = re.compile(r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w])")

# --------------------------------------------------------------------------------------
# Numbers as people read them
# --------------------------------------------------------------------------------------


def format_number(value: float | None) -> str:
    """Thousands separators; two decimals at most for ordinary values, three significant digits for small ones."""
    if value is None:
        return "no value"
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return f"{int(number):,}"
    if abs(number) >= 1:
        return f"{number:,.2f}".rstrip("0").rstrip(".")
    return f"{number:.3g}"


def format_signed(value: float) -> str:
    return ("+" if value > 0 else "") + format_number(value)


def format_percent(value: float) -> str:
    return f"{value:+.1f}%" if value else "0.0%"


def numbers_in(text: str) -> list[str]:
    """The numbers written in a text, as written (sign and unit left off)."""
    return _NUMBER_RE.findall(text)


def _canonical(token: str) -> Decimal | None:
    try:
        return Decimal(token.replace(",", "")).normalize()
    except InvalidOperation:
        return None


def unsupported_numbers(text: str, facts: list[dict[str, Any]], *, question: str = "") -> list[str]:
    """Numbers in `text` that appear neither in the facts' texts nor in the question."""
    allowed = {_canonical(token) for fact in facts for token in numbers_in(str(fact.get("text", "")))}
    allowed |= {_canonical(token) for token in numbers_in(question)}
    return [token for token in numbers_in(text) if _canonical(token) not in allowed]


# --------------------------------------------------------------------------------------
# Facts
# --------------------------------------------------------------------------------------


def _plain(value: Any) -> str:
    """A data value quoted in a fact: one line, bounded."""
    text = " ".join(str(value).split()) if value is not None else "(empty)"
    return text if len(text) <= MAX_LABEL_CHARS else text[: MAX_LABEL_CHARS - 1] + "…"


def _lower(label: str) -> str:
    """A label inside a sentence: "Average price" -> "average price", acronyms ("GDP per capita") kept."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def period_words(periods: list[Any], *, yearly: bool) -> dict[Any, str]:
    """Periods as people write them: years as "2019", month starts as "Jan 2019", days as "1 Jan 2019",
    times as "1 Jan 2019 14:30" - one style for the whole series, read from all its values."""
    if yearly:
        return {period: str(period) for period in periods}
    parsed = {period: _as_datetime(period) for period in periods}
    if any(moment is None for moment in parsed.values()):
        return {period: str(period) for period in periods}
    moments = [moment for moment in parsed.values() if moment is not None]
    midnight = all((m.hour, m.minute, m.second) == (0, 0, 0) for m in moments)
    if midnight and all((m.month, m.day) == (1, 1) for m in moments) and len(moments) > 1:
        style = "%Y"
    elif midnight and all(m.day == 1 for m in moments) and len(moments) > 1:
        style = "%b %Y"
    elif midnight:
        style = "%-d %b %Y"
    else:
        style = "%-d %b %Y %H:%M"
    return {period: moment.strftime(style) for period, moment in parsed.items() if moment is not None}


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    text = str(value)
    if len(text) == 7:
        text += "-01"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _fact(kind: str, text: str, **values: Any) -> dict[str, Any]:
    return {"kind": kind, "text": safe_markdown(text), **values}


def _json_number(value: Any) -> float | int | None:
    number = as_number(value)
    if number is None:
        return None
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def compute_facts(result: ResultSet, *, question: str = "") -> list[dict[str, Any]]:
    """Totals, top and bottom items with shares, change over time and its largest jump, outliers and
    correlation - whichever the result's shape supports. Each fact is JSON with a `text` sentence."""
    rows = len(result.rows)
    if rows == 0:
        return [_fact("rows", "The query returned no rows.", rows=0, row_count=result.row_count)]
    profiles = profile_columns(result)
    measures = asked_first([p for p in profiles if p.role == "measure"], question)
    times = [p for p in profiles if p.role == "time"]
    labels = [p for p in profiles if p.role in ("category", "label")]
    coverage = (
        f"The facts cover the first {rows:,} of {result.row_count:,} rows."
        if result.truncated
        else f"Based on {plural(rows, 'row')}."
    )
    facts = [_fact("rows", coverage, rows=rows, row_count=result.row_count, truncated=result.truncated)]
    if rows == 1:
        return facts + _single_row_facts(measures, labels, result)
    for measure in measures[:MAX_MEASURES]:
        facts += _measure_facts(measure, labels[0] if labels else None, times[0] if times else None)
    if len(measures) >= 2:
        facts += _correlation_facts(measures[0], measures[1])
    return facts


def _single_row_facts(
    measures: list[ColumnProfile], labels: list[ColumnProfile], result: ResultSet
) -> list[dict[str, Any]]:
    """One number per measure, with its unit when the answer has one ("total: $1,234.5.")."""
    label = labels[0].values[0] if labels else None
    facts = []
    for measure in measures[:MAX_KPI_VALUES]:
        value = _json_number(measure.values[0])
        unit = result.unit_of(measure.name) if value is not None else None
        about = f" for {_plain(label)}" if label is not None else ""
        facts.append(
            _fact(
                "value",
                f"{measure.label}{about}: {with_unit(format_number(value), unit)}.",
                column=measure.name,
                value=value,
                unit=unit,
                label=_plain(label) if label is not None else None,
            )
        )
    return facts


def _measure_facts(
    measure: ColumnProfile, label: ColumnProfile | None, period: ColumnProfile | None
) -> list[dict[str, Any]]:
    numbers = [n for n in (as_number(v) for v in measure.values) if n is not None]
    if not numbers:
        return [_fact("total", f"{measure.label} has no values.", column=measure.name, count=0)]
    how = aggregation_for(measure.name)
    total, mean = float(sum(numbers)), float(sum(numbers) / len(numbers))
    low, high = min(numbers), max(numbers)
    if how == "sum":
        text = (
            f"{measure.label} adds up to {format_number(total)} over {plural(len(numbers), 'row')} "
            f"(average {format_number(mean)})."
        )
    else:
        text = (
            f"{measure.label} averages {format_number(mean)} over {plural(len(numbers), 'row')} "
            f"(from {format_number(low)} to {format_number(high)})."
        )
    facts = [
        _fact(
            "total",
            text,
            column=measure.name,
            aggregation=how,
            total=_json_number(total),
            mean=_json_number(mean),
            min=_json_number(low),
            max=_json_number(high),
            count=len(numbers),
        )
    ]
    if label is not None:
        facts += _ranking_facts(measure, label, how)
    if period is not None:
        facts += _change_facts(measure, period, how)
    facts += _outlier_facts(measure, label)
    return facts


def _grouped(keys: list[Any], values: list[Any], how: str) -> tuple[list[tuple[Any, float]], bool]:
    """(key, value) per distinct key in first-seen order, summed or averaged; True when keys repeated."""
    groups: dict[Any, list[float]] = {}
    for key, value in zip(keys, values, strict=True):
        number = as_number(value)
        if number is not None:
            groups.setdefault(key, []).append(number)
    repeated = any(len(items) > 1 for items in groups.values())
    combined = [(key, sum(items) if how == "sum" else sum(items) / len(items)) for key, items in groups.items()]
    return combined, repeated


def _ranking_facts(measure: ColumnProfile, label: ColumnProfile, how: str) -> list[dict[str, Any]]:
    items, repeated = _grouped(label.values, measure.values, how)
    if len(items) < 2:
        return []
    whole = sum(value for _, value in items)
    # A sum that overflowed to infinity has no meaningful shares (inf / inf is NaN, which JSON cannot carry).
    with_share = how == "sum" and 0 < whole < math.inf and all(value >= 0 for _, value in items)
    ordered = sorted(items, key=lambda item: -item[1])
    what = (
        f"{_lower(measure.label)} per {_lower(label.label)} ({'sum' if how == 'sum' else 'average'})"
        if repeated
        else _lower(measure.label)
    )

    def described(chosen: list[tuple[Any, float]]) -> tuple[list[dict[str, Any]], str]:
        entries, words = [], []
        for key, value in chosen:
            share = value / whole * 100 if with_share else None
            entries.append(
                {
                    "label": _plain(key),
                    "value": _json_number(value),
                    "share": round(share, 1) if share is not None else None,
                }
            )
            extra = f", {share:.1f}% of the total" if share is not None else ""
            words.append(f"{_plain(key)} ({format_number(value)}{extra})")
        return entries, "; ".join(words)

    top = ordered[: min(TOP_ITEMS, len(ordered) - 1)] if len(ordered) <= TOP_ITEMS else ordered[:TOP_ITEMS]
    bottom = list(reversed(ordered[len(top) :]))[:TOP_ITEMS]
    top_entries, top_words = described(top)
    facts = [
        _fact(
            "top",
            f"Highest {what}: {top_words}.",
            column=measure.name,
            label_column=label.name,
            aggregation=how if repeated else None,
            items=top_entries,
        )
    ]
    if bottom:
        bottom_entries, bottom_words = described(bottom)
        facts.append(
            _fact(
                "bottom",
                f"Lowest {what}: {bottom_words}.",
                column=measure.name,
                label_column=label.name,
                aggregation=how if repeated else None,
                items=bottom_entries,
            )
        )
    return facts


def _period_key(value: Any, profile: ColumnProfile) -> Any:
    return int(as_number(value) or 0) if profile.year_like else str(value)


def _change_facts(measure: ColumnProfile, period: ColumnProfile, how: str) -> list[dict[str, Any]]:
    keys = [None if v is None else _period_key(v, period) for v in period.values]
    series, repeated = _grouped(keys, measure.values, how)
    series = sorted((item for item in series if item[0] is not None), key=lambda item: item[0])
    if len(series) < 2:
        return []
    (first_period, first), (last_period, last) = series[0], series[-1]
    when = period_words([key for key, _ in series], yearly=period.year_like)
    change = last - first
    change_pct = change / abs(first) * 100 if first else None
    percent = f", {format_percent(change_pct)}" if change_pct is not None else ""
    what = (
        f"{_lower(measure.label)} ({'sum' if how == 'sum' else 'average'} per {_lower(period.label)})"
        if repeated
        else _lower(measure.label)
    )
    facts = [
        _fact(
            "change",
            f"Between {when[first_period]} and {when[last_period]}, {what} went from {format_number(first)} "
            f"to {format_number(last)} ({format_signed(change)}{percent}).",
            column=measure.name,
            period_column=period.name,
            first={"period": first_period, "value": _json_number(first)},
            last={"period": last_period, "value": _json_number(last)},
            change=_json_number(change),
            change_pct=round(change_pct, 1) if change_pct is not None else None,
        )
    ]
    if len(series) >= 3:
        steps = [(series[i], series[i + 1]) for i in range(len(series) - 1)]
        (from_period, from_value), (to_period, to_value) = max(steps, key=lambda s: abs(s[1][1] - s[0][1]))
        jump = to_value - from_value
        jump_pct = jump / abs(from_value) * 100 if from_value else None
        jump_percent = f", {format_percent(jump_pct)}" if jump_pct is not None else ""
        facts.append(
            _fact(
                "largest_jump",
                f"The largest change in {what} between consecutive periods was from {when[from_period]} "
                f"to {when[to_period]}: "
                f"{format_number(from_value)} to {format_number(to_value)} ({format_signed(jump)}{jump_percent}).",
                column=measure.name,
                period_column=period.name,
                from_period=from_period,
                to_period=to_period,
                from_value=_json_number(from_value),
                to_value=_json_number(to_value),
                change=_json_number(jump),
                change_pct=round(jump_pct, 1) if jump_pct is not None else None,
            )
        )
    return facts


def _outlier_facts(measure: ColumnProfile, label: ColumnProfile | None) -> list[dict[str, Any]]:
    """Tukey's fences: values more than 1.5 interquartile ranges outside the middle half."""
    points = [(i, n) for i, n in enumerate(as_number(v) for v in measure.values) if n is not None]
    if len(points) < MIN_ROWS_FOR_OUTLIERS:
        return []
    numbers = np.array([n for _, n in points])
    with np.errstate(all="ignore"):  # values near ±1e308 overflow; the finiteness check below drops them
        q1, q3 = np.percentile(numbers, [25, 75])
        spread = q3 - q1
    if not math.isfinite(spread) or spread <= 0:
        return []
    low, high = float(q1) - 1.5 * float(spread), float(q3) + 1.5 * float(spread)  # plain floats: ±inf, no warning
    outside = [(i, n) for i, n in points if n < low or n > high]
    if not outside:
        return []
    middle = float(np.median(numbers))
    outside.sort(key=lambda point: -abs(point[1] - middle))
    shown = outside[:MAX_OUTLIERS]
    items: list[dict[str, Any]] = [
        {"label": _plain(label.values[i]) if label else None, "value": _json_number(n)} for i, n in shown
    ]
    words = ", ".join(
        f"{format_number(item['value'])}" + (f" ({item['label']})" if item["label"] is not None else "")
        for item in items
    )
    more = f" and {len(outside) - len(shown):,} more" if len(outside) > len(shown) else ""
    count = f"{plural(len(outside), 'value')} of {_lower(measure.label)}"
    if all(n > high for _, n in outside):
        where = f"{'is' if len(outside) == 1 else 'are'} unusually high (above {format_number(high)})"
    elif all(n < low for _, n in outside):
        where = f"{'is' if len(outside) == 1 else 'are'} unusually low (below {format_number(low)})"
    else:
        verb = "lies" if len(outside) == 1 else "lie"
        where = f"{verb} outside the usual range of {format_number(low)} to {format_number(high)}"
    return [
        _fact(
            "outliers",
            f"{count} {where}: {words}{more}.",
            column=measure.name,
            low=_json_number(low),
            high=_json_number(high),
            count=len(outside),
            items=items,
        )
    ]


def _correlation_facts(first: ColumnProfile, second: ColumnProfile) -> list[dict[str, Any]]:
    pairs = [
        (a, b)
        for a, b in ((as_number(x), as_number(y)) for x, y in zip(first.values, second.values, strict=True))
        if a is not None and b is not None
    ]
    if len(pairs) < 3:
        return []
    xs, ys = np.array([a for a, _ in pairs]), np.array([b for _, b in pairs])
    with np.errstate(all="ignore"):
        if not (xs.std() > 0 and ys.std() > 0):  # constant, or too extreme to measure
            return []
        r = float(np.corrcoef(xs, ys)[0, 1])
    if not math.isfinite(r):
        return []
    strength = "strongly" if abs(r) >= 0.7 else "moderately" if abs(r) >= 0.4 else "weakly" if abs(r) >= 0.2 else None
    direction = "together" if r > 0 else "in opposite directions"
    words = f"move {strength} {direction}" if strength else "show little linear relation"
    return [
        _fact(
            "correlation",
            f"{first.label} and {_lower(second.label)} {words} (correlation {r:.2f} over {plural(len(pairs), 'row')}).",
            columns=[first.name, second.name],
            r=round(r, 4),
            n=len(pairs),
        )
    ]
