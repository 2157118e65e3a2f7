"""The pass that reads both ends at once: `the cheapest and the most expensive`, `the first and
last dates`, `lowest and highest price`. Two opposite superlatives joined by `and` ask for the
minimum and the maximum of one column, not for one row sorted one way."""

from __future__ import annotations

from lumiere.nlq.mention import Mention
from lumiere.nlq.plan import Expr
from lumiere.nlq.planner.shared import prefer_mentioned
from lumiere.nlq.planner.state import PlanState
from lumiere.nlq.schema import ColumnRef

_JOINERS = frozenset(("and", "to", "/", "&"))
_ROW_PICKERS = frozenset(("which", "who", "whose", "what car", "name"))


def extreme_pairs(state: PlanState) -> None:
    cursor = state.cursor
    if any(m.low in _ROW_PICKERS or (m.kind == "kw" and m.has("diff")) for m in cursor.mentions):
        return  # "which is the cheapest and which the dearest" picks rows; "difference between" subtracts
    for i, first in enumerate(cursor.mentions):
        if first.used or not cursor.is_keyword(i, "sup", "supcol"):
            continue
        joiner = cursor.next_index(i, skip=("stop",))
        if joiner is None or cursor.mentions[joiner].low not in _JOINERS:
            continue
        j = cursor.next_index(joiner, skip=("stop",))
        if not cursor.is_keyword(j, "sup", "supcol") or cursor.mentions[j].used:
            continue
        second = cursor.mentions[j]
        if first.has("agg") or second.has("agg"):
            continue  # "maximum and minimum share": the aggregates pass reads those
        directions = (_direction(first), _direction(second))
        if None in directions or directions[0] == directions[1]:
            continue
        column = _column_for(state, j) or _column_for(state, i)
        if column is None:
            continue
        first.used = second.used = cursor.mentions[joiner].used = True
        for direction in directions:
            state.plan.add_select(Expr(column, "max" if direction == "desc" else "min"))
        return


def _direction(mention: Mention) -> str | None:
    concept = mention.payload("supcol")
    return concept[0] if concept else mention.payload("sup")


def _column_for(state: PlanState, i: int) -> ColumnRef | None:
    """The number or date column the superlative is about: the one named right after it, else
    the column its concept names (`cheapest` → price)."""
    cursor = state.cursor
    following = cursor.at(cursor.next_index(i, skip=("stop", "punct", "filler")))
    if following is not None and following.kind == "column" and not following.used:
        measures = [c for c in following.columns if c.numeric or c.temporal]
        if measures:
            following.used = True
            return measures[0]
    concept = cursor.mentions[i].payload("supcol")
    if concept:
        candidates = state.schema.concept_columns(concept[1])
        if candidates:
            return prefer_mentioned(state, candidates)
    before = cursor.at(cursor.previous_index(i - 1 if i else i, skip=("stop", "punct", "filler", "kw")))
    if before is not None and before.kind == "column" and not before.used:
        measures = [c for c in before.columns if c.numeric or c.temporal]
        if measures:
            before.used = True
            return measures[0]
    return None
