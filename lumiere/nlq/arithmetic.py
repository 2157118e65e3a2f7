"""Numbers worked out on each row from two columns: `temp_max minus temp_min`, `brain weight divided
by body weight`, `the ratio of sodium to calories`, `the gap between the high and the low temperature`
(when something is done with it: compared, averaged, ranked), and `the tip was more than 20% of the
total bill` (the tip as a percentage of the bill, compared with 20).

The two column mentions and the word between them become one column mention whose column is
derived; the rendered query reads the table with that column added, so every pass treats it like a
stored column (filter, aggregate, sort, show)."""

from __future__ import annotations

from lumiere.core.engine import ColumnInfo
from lumiere.nlq.lexicon import Token, said_as_percent
from lumiere.nlq.mention import Mention, distinct_mentions
from lumiere.nlq.plan import Derived
from lumiere.nlq.schema import ColumnRef

# The operator each arithmetic phrase stands for, with its operands around it (`A minus B`).
_BETWEEN_OPERANDS = {"minus": "-", "plus": "+", "divided by": "/", "multiplied by": "*", "times": "*",
                     "as a percent of": "%", "as a percentage of": "%"}
# `times` is otherwise a word to skip ("gdpPercap times pop" was read as gdpPercap, then by pop).
_FILLER_OPERATORS = frozenset({"times"})
# Phrases followed by both operands: `the ratio of A to B`, `the difference between A and B`.
_BEFORE_OPERANDS = {
    "ratio of": ("/", "to"),
    "the ratio of": ("/", "to"),
    "difference between": ("-", "and"),
    "gap between": ("-", "and"),
    "margin between": ("-", "and"),
}
_ARTICLES = frozenset({"the", "a", "an"})
_LINKING_VERBS = frozenset({"is", "was", "are", "were", "be", "been", "being", "stays", "stayed", "remains"})
_SYMBOLS = {"-": "-", "+": "+", "*": "*", "/": "/", "%": "as % of"}


def link_arithmetic(tokens: list[Token], taken: list[Mention | None]) -> list[Derived]:
    """Replaces each `A op B` over two number columns with one derived column mention."""
    derived: list[Derived] = []
    bare = [Mention("filler", k, k + 1, token.text) for k, token in enumerate(tokens)
            if taken[k] is None and token.low in _FILLER_OPERATORS]
    for mention in sorted([*distinct_mentions(taken), *bare], key=lambda m: m.start):
        if mention.used or not (mention.kind == "kw" or mention.low in _FILLER_OPERATORS):
            continue
        operands = _operands(mention, tokens, taken)
        if operands is None:
            continue
        op, left, right = operands
        left_column, right_column = _number_column(left), _number_column(right)
        if left_column is None or right_column is None or left_column is right_column:
            continue
        column = _derived_column(op, left_column, right_column)
        start, end = min(left.start, mention.start), right.end
        text = " ".join(token.text for token in tokens[start:end])
        combined = Mention("column", start, end, text, columns=[column], coverage=1.0)
        for k in range(start, end):
            taken[k] = combined
        derived.append(Derived(column, op, left_column, right_column))
    return derived


def link_percent_of(tokens: list[Token], taken: list[Mention | None]) -> list[Derived]:
    """`the tip was more than 20% of the total bill`: the column compared is the tip as a percentage
    of the total bill (compared with 20), not the total bill compared with 20."""
    derived: list[Derived] = []
    for at, token in enumerate(tokens):
        if token.kind != "number" or not said_as_percent(token.text) or taken[at] is not None:
            continue
        if at + 1 >= len(tokens) or tokens[at + 1].low != "of" or taken[at + 1] is not None:
            continue
        right = _next_to(at + 2, 1, tokens, taken)
        comparison = taken[at - 1] if at > 0 else None
        if right is None or comparison is None or comparison.kind != "kw" or not comparison.has("cmp"):
            continue
        k = comparison.start - 1
        while k >= 0 and taken[k] is None and tokens[k].low in _LINKING_VERBS:
            k -= 1
        left = taken[k] if k >= 0 else None
        if left is None:
            continue
        left_column, right_column = _number_column(left), _number_column(right)
        if left_column is None or right_column is None or left_column is right_column:
            continue
        column = _derived_column("%", left_column, right_column)
        as_percent = Mention("column", left.start, left.end, left.text, columns=[column], coverage=1.0)
        said_of = Mention("stop", at + 1, right.end, " ".join(t.text for t in tokens[at + 1 : right.end]))
        for x in range(left.start, left.end):
            taken[x] = as_percent
        for x in range(at + 1, right.end):
            taken[x] = said_of
        derived.append(Derived(column, "%", left_column, right_column))
    return derived


def _operands(
    mention: Mention, tokens: list[Token], taken: list[Mention | None]
) -> tuple[str, Mention, Mention] | None:
    if (mention.has("arith") or mention.low in _FILLER_OPERATORS) and mention.low in _BETWEEN_OPERANDS:
        left, right = _next_to(mention.start - 1, -1, tokens, taken), _next_to(mention.end, 1, tokens, taken)
        return (_BETWEEN_OPERANDS[mention.low], left, right) if left and right else None
    if (mention.has("arith") or mention.has("diff")) and mention.low in _BEFORE_OPERANDS:
        op, joiner = _BEFORE_OPERANDS[mention.low]
        left = _next_to(mention.end, 1, tokens, taken)
        if left is None or left.end >= len(tokens) or tokens[left.end].low != joiner:
            return None
        right = _next_to(left.end + 1, 1, tokens, taken)
        if right is None:
            return None
        if mention.has("diff") and not _used_as_a_number(mention, right, tokens, taken):
            return None  # "the difference between A and B" alone is the difference pass's answer
        return op, left, right
    return None


def _used_as_a_number(mention: Mention, right: Mention, tokens: list[Token], taken: list[Mention | None]) -> bool:
    """A difference of two columns that is compared (`… more than 15`), or averaged, summed or
    ranked (`the average gap between …`, `the largest difference between …`)."""
    after = _next_to(right.end, 1, tokens, taken, columns_only=False)
    before = _next_to(mention.start - 1, -1, tokens, taken, columns_only=False)
    return bool(
        (after is not None and after.kind == "kw" and after.has("cmp"))
        or (before is not None and before.kind == "kw" and (before.has("agg") or before.has("sup")))
    )


def _next_to(
    k: int, step: int, tokens: list[Token], taken: list[Mention | None], *, columns_only: bool = True
) -> Mention | None:
    """The mention at token k, or past the articles from there in the direction of `step`."""
    while 0 <= k < len(tokens) and tokens[k].low in _ARTICLES:
        k += step
    mention = taken[k] if 0 <= k < len(tokens) else None
    if mention is None:
        return None
    return mention if not columns_only or mention.kind == "column" else None


def _number_column(mention: Mention) -> ColumnRef | None:
    if mention.used or mention.kind != "column":
        return None
    return next((c for c in mention.columns if c.numeric and not c.temporal), None)


def _derived_column(op: str, left: ColumnRef, right: ColumnRef) -> ColumnRef:
    name = f"{left.name} {_SYMBOLS[op]} {right.name}"
    info = ColumnInfo(name=name, type="DOUBLE", kind="number")
    # A sum or a difference is in its columns' unit (`more than 15 degrees`); a ratio in none.
    words = [*left.words, *right.words] if op in ("-", "+") else []
    return ColumnRef(info=info, table=left.table, position=left.position, row_count=left.row_count, words=words)
