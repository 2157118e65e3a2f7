"""Small wording helpers shared by services, state and pages: counts with the right noun ("1 row",
"2 rows", "1 entry", "3 entries") so no page or message says "1 rows"."""

from __future__ import annotations

_VOWELS = frozenset("aeiou")


def plural_noun(word: str, count: int | float) -> str:
    """The noun for `count` items: "entry" -> "entries", "match" -> "matches", "row" -> "rows"."""
    if count == 1:
        return word
    if word.endswith("y") and len(word) > 1 and word[-2] not in _VOWELS:
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


def plural(count: int | float, word: str, many: str | None = None) -> str:
    """ "1 row", "1,234 rows"; `many` for irregular nouns ("person", "people")."""
    noun = word if count == 1 else (many or plural_noun(word, count))
    shown = f"{count:,}" if isinstance(count, int) or float(count).is_integer() else f"{count:,.1f}"
    if not isinstance(count, int) and float(count).is_integer():
        shown = f"{int(count):,}"
    return f"{shown} {noun}"
