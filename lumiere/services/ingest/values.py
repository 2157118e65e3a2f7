"""What one CSV cell looks like: a number (with a decimal point or comma), a date, a boolean or
text, plus the shapes DuckDB leaves as text (grouped numbers, percentages, times)."""

from __future__ import annotations

import re

NULL_MARKERS = ("NA", "N/A", "n/a", "NULL", "null", "NaN", "nan", "None", "#N/A", "-")
UNICODE_MINUS = "\u2212"  # typeset tables write −5 for -5

# Dashes tables put in a number column for "none" or "did not take part".
DASH_PLACEHOLDERS = ("-", "--", "–", "—", "―", "−")

INTEGER_TEXT = re.compile(r"[+-]?\d+")
_DEC_POINT = re.compile(r"[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?|[+-]?\d+[eE][+-]?\d+")
DECIMAL_COMMA_TEXT = re.compile(r"[+-]?\d+,\d+")
GROUPED_COMMA_DECIMAL_TEXT = re.compile(r"[+-]?\d{1,3}(\.\d{3})+(,\d+)?")

_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?"
                   r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}([ T]\d{1,2}:\d{2}(:\d{2})?)?")

_BOOL = {"true", "false", "yes", "no", "t", "f", "y", "n"}

# Shapes of values DuckDB reads as text but that still mark a column as typed when telling a
# header row from data: 1,234,567 (thousands separators), 12.5 %, 1:47.066 (times and durations).
_GROUPED_POINT = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_PERCENT = re.compile(r"[+-]?\d+([.,]\d+)?\s?%")
_CLOCK = re.compile(r"\d{1,2}:\d{2}(:\d{2})?([.,]\d+)?")


def cell_class(value: str, decimal_comma: bool) -> str:
    if not value:
        return "empty"
    if INTEGER_TEXT.fullmatch(value):
        return "number"
    if decimal_comma:
        if DECIMAL_COMMA_TEXT.fullmatch(value) or GROUPED_COMMA_DECIMAL_TEXT.fullmatch(value):
            return "number"
    elif _DEC_POINT.fullmatch(value):
        return "number"
    if _DATE.fullmatch(value):
        return "date"
    if value.lower() in _BOOL:
        return "bool"
    return "text"


def cell_shape(value: str, decimal_comma: bool) -> str:
    """`cell_class`, plus the typed shapes DuckDB leaves as text (for telling a header from data);
    placeholders for a missing value say nothing, like an empty cell."""
    if value in NULL_MARKERS or value in DASH_PLACEHOLDERS:
        return "empty"
    value_class = cell_class(value, decimal_comma)
    if value_class != "text":
        return value_class
    if not decimal_comma and _GROUPED_POINT.fullmatch(value):
        return "grouped number"
    if _PERCENT.fullmatch(value):
        return "percentage"
    if _CLOCK.fullmatch(value):
        return "time"
    return "text"
