"""Counts with the right noun."""

from __future__ import annotations

import pytest

from lumiere.core.text import plural


@pytest.mark.parametrize(
    ("count", "word", "text"),
    [
        (0, "row", "0 rows"),
        (1, "row", "1 row"),
        (1234, "row", "1,234 rows"),
        (1, "entry", "1 entry"),
        (3, "entry", "3 entries"),
        (2, "day", "2 days"),
        (2, "match", "2 matches"),
        (2.0, "column", "2 columns"),
    ],
)
def test_plural(count: int, word: str, text: str) -> None:
    assert plural(count, word) == text


def test_irregular_plural() -> None:
    assert plural(2, "person", "people") == "2 people"
