"""Mentions that grow to take a neighbouring word which only says more about them: `government
form name`, `average diamond price`, `hours of sleep`, `unemployed people`, `bronze medals`. Each
runs over the linked question after the columns are placed (lumiere.nlq.linking.link)."""

from __future__ import annotations

from lumiere.nlq.lexicon import COUNT_UNITS, Token
from lumiere.nlq.mention import Mention
from lumiere.nlq.row_nouns import is_singular_noun
from lumiere.nlq.schema import SchemaIndex
from lumiere.nlq.semantic_words import UNIT_WORDS, unit_fits_column


def absorb_generic_heads(tokens: list[Token], taken: list[Mention | None]) -> None:
    """`government form name` is the government form: a trailing `name` adds nothing."""
    for k in range(1, len(tokens)):
        current, previous = taken[k], taken[k - 1]
        if (
            tokens[k].low in ("name", "names")
            and current is not None
            and current.kind == "column"
            and current.end - current.start == 1
            and previous is not None
            and previous.kind == "column"
            and previous is not current
            and previous.coverage >= 1.0
            and previous.column.text
            and not previous.column.name_like
        ):
            previous.end = k + 1
            previous.text = previous.text + " " + tokens[k].text
            taken[k] = previous


def absorb_row_noun_modifiers(tokens: list[Token], taken: list[Mention | None]) -> None:
    """`average diamond price`, `tooth length`: the rows' own noun in the singular right before a
    column only says whose column it is, as `the price of a diamond` would."""
    for k in range(len(tokens) - 1):
        current, following = taken[k], taken[k + 1]
        if (
            current is not None
            and current.kind == "table"
            and not current.columns
            and current.end == k + 1
            and current.start == k
            and is_singular_noun(tokens[k].low)
            and following is not None
            and following.kind == "column"
            and following.start == k + 1
        ):
            following.start = k
            following.text = f"{tokens[k].text} {following.text}"
            following.said_with_row_noun = True
            taken[k] = following


def absorb_units_of(tokens: list[Token], taken: list[Mention | None]) -> None:
    """`average hours of sleep`, `grams of fiber`: a unit before `of` and a number column names that
    column (unless the column's name spells another unit: `hours of weight_kg` is no reading)."""
    for k in range(len(tokens) - 2):
        current, column = taken[k], taken[k + 2]
        if (
            current is not None
            and current.kind == "unknown"
            and tokens[k].low in UNIT_WORDS
            and tokens[k + 1].low == "of"
            and (k == 0 or tokens[k - 1].kind != "number")  # "10 grams of sugar" is a comparison
            and column is not None
            and column.kind == "column"
            and column.start == k + 2
            and column.columns
            and column.column.numeric_measure
            and unit_fits_column(tokens[k].low, column.column.word_set, by_name_only=False)
        ):
            column.start = k
            column.text = f"{tokens[k].text} of {column.text}"
            column.reading = f"I read '{column.text}' as {column.column.name}, in the unit it is stored in."
            taken[k] = taken[k + 1] = column


# "time of day", "day of the week", "month of the year": the span after `of` only says which part
# of the calendar the first word is, it names no column of its own.
_CALENDAR_SPANS = frozenset(("day", "week", "month", "year"))


def absorb_calendar_spans(tokens: list[Token], taken: list[Mention | None]) -> None:
    """`which time of day has …` over tips' `time` and `day` columns: the time column (Lunch,
    Dinner), not the time and the day together."""
    for k in range(len(tokens) - 2):
        current = taken[k]
        if current is None or current.kind != "column" or current.end != k + 1 or not current.column.text:
            continue
        j = k + 3 if k + 3 < len(tokens) and tokens[k + 2].low == "the" else k + 2
        between = [taken[x] for x in range(k + 1, j)]
        if tokens[k + 1].low != "of" or any(m is not None and m.kind != "stop" for m in between):
            continue
        span = taken[j] if j < len(tokens) else None
        if span is None or span.kind != "column" or (span.start, span.end) != (j, j + 1):
            continue
        if tokens[j].low not in _CALENDAR_SPANS or span.column is current.column:
            continue
        current.end = j + 1
        current.text = " ".join(token.text for token in tokens[k : j + 1])
        for x in range(k + 1, j + 1):
            taken[x] = current


_PERSON_NOUNS = frozenset(("people", "persons", "individuals"))


def absorb_person_nouns(tokens: list[Token], taken: list[Mention | None]) -> None:
    """`the number of unemployed people`: people after a number column that counts them is that
    column, not a population column of its own."""
    for k in range(1, len(tokens)):
        before = taken[k - 1]
        if (
            taken[k] is None
            and tokens[k].low in _PERSON_NOUNS
            and before is not None
            and before.kind == "column"
            and before.end == k
            and before.column.numeric_measure
        ):
            before.end = k + 1
            before.text = f"{before.text} {tokens[k].text}"
            taken[k] = before


def absorb_count_units(tokens: list[Token], taken: list[Mention | None], schema: SchemaIndex) -> None:
    """`bronze medals` is the Bronze column; a unit on its own (`how many medals`) is the Total column."""
    total = next((c for c in schema.columns if c.numeric and [w.word for w in c.words] == ["total"]), None)
    for k, token in enumerate(tokens):
        if taken[k] is not None or token.low not in COUNT_UNITS:
            continue
        previous = taken[k - 1] if k > 0 else None
        if previous is not None and previous.kind == "column" and previous.column.numeric and previous.end == k:
            previous.end = k + 1
            previous.text = f"{previous.text} {token.text}"
            taken[k] = previous
        elif total is not None:
            taken[k] = Mention("column", k, k + 1, token.text, columns=[total], coverage=1.0)
