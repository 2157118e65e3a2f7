"""The figure as plain JSON values, so nothing but data reaches the browser."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np


def json_safe(value: Any) -> Any:
    """Plain JSON types only: numpy values unwrapped, dates as ISO text, NaN/inf as null; anything
    else (a callable, an object) is a bug and fails loudly rather than reaching the browser."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating, Decimal)):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, np.ndarray):
        return [json_safe(item) for item in value.tolist()]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"A chart figure may only hold JSON values, not {type(value).__name__}.")
