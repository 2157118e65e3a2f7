"""Reading what a browser sends to a handler: anything can arrive, so each value is read into the
shape the handler needs, or None, and the handler shows a message instead of raising."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

MAX_ID_DIGITS = 15  # ids beyond this are not ours (and would overflow the database's integers)
MAX_LABEL_CHARS = 1000  # text a handler only displays back, such as the question in a confirm dialog

INVALID_LINK = "That link is not valid any more; pick the entry from the list again."
NOT_A_PAGE = "That page number is not valid; use the arrows to move between pages."


def positive_id(value: Any) -> int | None:
    """A database id: a positive integer, given as a number or as its digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 10**MAX_ID_DIGITS else None
    text = value.strip() if isinstance(value, str) else ""
    if text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS and int(text) > 0:
        return int(text)
    return None


def whole_number(value: Any) -> int | None:
    """An integer, given as a number or as its digits (at most MAX_ID_DIGITS of them)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        digits = text.removeprefix("-")
        if not (digits.isascii() and digits.isdigit() and len(digits) <= MAX_ID_DIGITS):
            return None
        return int(text)
    return value if isinstance(value, int) and abs(value) < 10**MAX_ID_DIGITS else None


def clamped(value: Any, low: int, high: int) -> int | None:
    """A whole number moved into `low`..`high` (a page past the last one is the last page); None
    when it is not a number at all."""
    number = whole_number(value)
    return None if number is None else min(max(low, number), max(low, high))


def one_of(value: Any, allowed: Collection[str]) -> str | None:
    """A value from a fixed set (a select's options, an enum's values)."""
    return value if isinstance(value, str) and value in allowed else None


def bounded_text(value: Any, max_chars: int) -> str:
    """Text cut to `max_chars`; anything that is not text reads as empty."""
    return value[:max_chars] if isinstance(value, str) else ""


def form_text(form_data: Any, name: str) -> str:
    """One field of a submitted form as text ("" when the form or the field is missing); the
    services check each field's own length and format."""
    value = form_data.get(name, "") if isinstance(form_data, dict) else ""
    return value if isinstance(value, str) else "" if value is None else str(value)
