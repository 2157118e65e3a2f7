"""What each column of a result can play in a chart (measure, time, category, label, id).

Read from the column's kind, name and values.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from lumiere.charts.limits import MAX_CATEGORIES
from lumiere.core.labels import column_labels
from lumiere.core.resultset import ResultSet

NUMERIC_KINDS = ("integer", "number")
_YEAR_NAME = re.compile(r"(^|[^a-z])(year|yr|yyyy)s?([^a-z]|$)", re.IGNORECASE)
_ID_NAME = re.compile(r"(^id$|_id$|^id_|[a-z]Id$)", re.IGNORECASE)
_ISO_DATE_TEXT = re.compile(r"^\d{4}-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?)?)?$")

_MEAN_TOKENS = frozenset(
    [
        "avg",
        "average",
        "mean",
        "median",
        "rate",
        "ratio",
        "pct",
        "percent",
        "percentage",
        "share",
        "price",
        "score",
        "age",
        "index",
        "temp",
        "temperature",
        "min",
        "max",
        "percap",
        "lifeexp",
        "exp",
        "per",
    ]
)

_AGGREGATE_TOKENS = _MEAN_TOKENS | {"count", "cnt", "n", "num", "number", "total", "sum", "amount", "qty", "quantity"}


@dataclass(eq=False)
class ColumnProfile:
    """What a column can play in a chart: measure, time, category, label (many distinct texts), id or other."""

    index: int
    name: str
    kind: str
    values: list[Any]
    distinct: int
    role: str
    year_like: bool = False
    label: str = ""  # the column in words ("Average price" for avg_price), for titles, axes and facts

    @property
    def unique(self) -> bool:
        return self.distinct == len(self.values) and None not in self.values


def name_tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [token for token in re.split(r"[^a-z0-9]+", spaced.lower()) if token]


def aggregation_for(column_name: str) -> str:
    """'mean' for rates, averages and prices (adding them up means nothing), 'sum' otherwise."""
    tokens = name_tokens(column_name)
    joined = "".join(tokens)
    if any(token in _MEAN_TOKENS for token in tokens) or any(part in joined for part in ("avg", "percap", "lifeexp")):
        return "mean"
    return "sum"


def looks_aggregated(column_name: str) -> bool:
    tokens = name_tokens(column_name)
    return any(token in _AGGREGATE_TOKENS for token in tokens) or aggregation_for(column_name) == "mean"


def as_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, Decimal, np.integer, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def hashable(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def profile_columns(result: ResultSet) -> list[ColumnProfile]:
    profiles = []
    labels = column_labels(result.sql, result.column_names)
    for index, column in enumerate(result.columns):
        values = [row[index] if index < len(row) else None for row in result.rows]
        present = [value for value in values if value is not None]
        distinct = len({hashable(value) for value in present})
        profile = ColumnProfile(index, column.name, column.kind, values, distinct, "other", label=labels[column.name])
        profile.role, profile.year_like = _role_of(profile, present)
        profiles.append(profile)
    return profiles


def _role_of(profile: ColumnProfile, present: list[Any]) -> tuple[str, bool]:
    if profile.kind in ("date", "datetime"):
        return "time", False
    if profile.kind in NUMERIC_KINDS:
        maybe_numbers = [as_number(value) for value in present]
        numbers = [number for number in maybe_numbers if number is not None]
        if len(numbers) < len(maybe_numbers):
            return "other", False
        if (
            present
            and _YEAR_NAME.search(profile.name)
            and all(float(n).is_integer() and 1000 <= n <= 2999 for n in numbers)
        ):
            return "time", True
        if present and _ID_NAME.search(profile.name) and profile.distinct == len(present):
            return "id", False
        return "measure", False
    if profile.kind == "boolean":
        return "category", False
    if profile.kind == "text" and present:
        if all(isinstance(value, str) and _ISO_DATE_TEXT.match(value) for value in present):
            return "time", False
        return ("category" if profile.distinct <= MAX_CATEGORIES else "label"), False
    return "other", False


# Currency words in a column's name and their symbol; a price or a revenue without one stays a plain number.
_CURRENCY_TOKENS = {"usd": "$", "dollar": "$", "dollars": "$", "eur": "€", "euro": "€", "euros": "€", "gbp": "£"}
_PERCENT_TOKENS = frozenset({"pct", "percent", "percentage", "share", "rate"})


def display_unit(profile: ColumnProfile, unit: str | None) -> str | None:
    """The unit a column's numbers are shown with: the semantic layer's, else a currency its name
    says ("price_usd" -> "$"), else "%" for a percentage in points (0-100); None otherwise."""
    if unit:
        return unit
    tokens = name_tokens(profile.name)
    for token in tokens:
        if token in _CURRENCY_TOKENS:
            return _CURRENCY_TOKENS[token]
    return "%" if percent_scale(profile) == "points" else None


def percent_scale(profile: ColumnProfile) -> str | None:
    """ "fraction" for a percentage stored as 0-1 (share, rate), "points" for 0-100, None when the
    name does not say percentage or the values do not fit either."""
    if not _PERCENT_TOKENS.intersection(name_tokens(profile.name)):
        return None
    numbers = [n for n in (as_number(value) for value in profile.values) if n is not None]
    if not numbers or min(numbers) < 0:
        return None
    if max(numbers) <= 1:
        return "fraction"
    return "points" if max(numbers) <= 100 else None


_NOT_ADDITIVE_TOKENS = frozenset(
    {"avg", "average", "mean", "median", "min", "max", "rate", "ratio", "price", "score", "age", "temp"}
    | {"temperature", "index", "lifeexp", "percap", "per"}
)
_NOT_ADDITIVE_LABELS = ("average ", "median ", "lowest ", "highest ")


def additive(profile: ColumnProfile) -> bool:
    """True when the measure's values are parts of a whole (sums, counts, shares) that a pie may add up;
    False for averages, extremes, rates and prices, whose slices would add up to nothing."""
    return additive_column(profile.name, profile.label)


def additive_column(name: str, label: str) -> bool:
    """`additive` from a column's SQL name and its label in words (which says AVG, MIN, MAX...)."""
    if label.lower().startswith(_NOT_ADDITIVE_LABELS):
        return False
    tokens = name_tokens(name)
    joined = "".join(tokens)
    return not _NOT_ADDITIVE_TOKENS.intersection(tokens) and not any(p in joined for p in ("avg", "percap", "lifeexp"))
