"""One converter from what databases, pandas and Plotly hand back to plain JSON values.

Rows go to the API and the pages as they are, so anything unexpected there becomes its text;
a chart figure goes to the browser, so there an unknown object is a bug and fails loudly
(`json_strict`) rather than reaching the page.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any


def json_safe(value: Any) -> Any:
    """A value the API can send as JSON: ISO dates, floats for decimals, None for NaN/inf, hex for
    bytes, text for anything else."""
    return _convert(value, str)


def json_strict(value: Any) -> Any:
    """Like `json_safe`, but a value of no known kind (a callable, an object) raises TypeError."""
    return _convert(value, _refuse)


def _refuse(value: Any) -> Any:
    raise TypeError(f"A chart figure may only hold JSON values, not {type(value).__name__}.")


def _convert(value: Any, unknown: Callable[[Any], Any]) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None  # float() of a signalling NaN raises
    if isinstance(value, float):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (dt.timedelta, uuid.UUID)):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {str(key): _convert(item, unknown) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_convert(item, unknown) for item in value]
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        # numpy scalars and arrays, without importing numpy (the query workers never load it)
        return _convert(value.tolist(), unknown)
    if isinstance(value, (set, frozenset)):
        return sorted(str(item) for item in value)
    return unknown(value)
