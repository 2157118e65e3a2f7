"""Passes that compare within or across rows: one column against another of the same row, and rows
against a named row (`the same laps as X`, `a higher life expectancy than France`)."""

from __future__ import annotations

from typing import Any

from lumiere.nlq.mention import Mention
from lumiere.nlq.plan import Cond, Expr, RowComparison
from lumiere.nlq.planner.shared import NEGATED, add_condition, comparison_operator, first_numeric_column
from lumiere.nlq.planner.state import PlanState
from lumiere.nlq.schema import ColumnRef


def column_comparisons(state: PlanState) -> None:
    """`days when GOOG was higher than AAPL`, `whose permanent address is different from the
    current one`: both sides are columns of the same row."""
    cursor = state.cursor
    for i, operator_word in enumerate(cursor.mentions):
        if (
            operator_word.used
            or operator_word.kind != "kw"
            or not (operator_word.has("cmp") or operator_word.has("sup") or operator_word.has("neg"))
        ):
            continue
        op = comparison_operator(state, i)
        if op is None:
            continue
        left_index = cursor.previous_index(i, skip=("stop", "filler"))
        negated = cursor.is_keyword(left_index, "neg") and not cursor.mentions[left_index].used
        if negated:
            left_index = cursor.previous_index(left_index, skip=("stop", "filler"))
        if not cursor.is_index(left_index):
            continue
        left = cursor.mentions[left_index]
        if left.kind != "column" or left.used:
            continue
        right_column, right_mentions = _compared_column(state, i, left.column)
        if right_column is None or right_column is left.column:
            continue
        if not _comparable_columns(left.column, right_column, op):
            continue
        if negated:
            cursor.mentions[left_index + 1].used = True
            op = NEGATED[op]
        for mention in (operator_word, left, *right_mentions):
            mention.used = True
        add_condition(state, Cond(Expr(left.column), op, [], other=Expr(right_column)))


def _compared_column(state: PlanState, i: int, left: ColumnRef) -> tuple[ColumnRef | None, list[Mention]]:
    """The column after the operator, or `the current one`: the left column's noun with
    another modifier."""
    cursor = state.cursor
    k = i + 1
    modifiers: list[Mention] = []
    while k < len(cursor.mentions) and k <= i + 6:
        mention = cursor.mentions[k]
        if mention.kind == "column":
            if mention.used:
                return None, []
            following = cursor.at(cursor.next_index(k, skip=("stop",)))
            if following is not None and following.low in ("one", "ones"):
                return first_numeric_column(mention), [mention, following, *modifiers]  # "his current one"
            if following is not None and following.kind in ("number", "value", "quoted"):
                return None, []
            return first_numeric_column(mention), [mention, *modifiers]
        if mention.kind in ("number", "value", "quoted", "table"):
            return None, []
        if mention.low in ("one", "ones") and modifiers:
            head = left.words[-1].word
            for modifier in reversed(modifiers):
                for column in state.schema.columns:
                    if column is not left and column.words[-1].word == head and modifier.low in column.word_set:
                        return column, [mention, *modifiers]
            return None, []
        if mention.kind in ("filler", "unknown"):
            modifiers.append(mention)
        elif mention.kind not in ("stop", "punct") and not (mention.kind == "kw" and mention.has("or")):
            return None, []
        k += 1
    return None, []


def _comparable_columns(left: ColumnRef, right: ColumnRef, op: str) -> bool:
    if op in ("=", "!="):
        return left.numeric == right.numeric or (left.temporal and right.temporal)
    return (left.numeric or left.temporal) and (right.numeric or right.temporal) and left.temporal == right.temporal


def same_as_row(state: PlanState) -> None:
    """`which driver has the same number of laps as X`: rows sharing X's value, X left out."""
    cursor = state.cursor
    for i, mention in enumerate(cursor.mentions):
        if mention.used or not cursor.is_keyword(i, "same"):
            continue
        target_index = cursor.next_index(i, skip=("stop", "filler"))
        if cursor.is_keyword(target_index, "count") and not cursor.mentions[target_index].used:
            counted = cursor.next_index(target_index, skip=("stop", "filler"))
            if cursor.is_index(counted) and cursor.mentions[counted].kind == "column":
                cursor.mentions[target_index].used = True
                target_index = counted
        if not cursor.is_index(target_index):
            continue
        target = cursor.mentions[target_index]
        if target.kind != "column" or target.used:
            continue
        as_index = cursor.next_index(target_index, skip=("filler",))
        anchor_index = cursor.next_index(as_index, skip=("stop", "filler")) if as_index is not None else None
        anchor = cursor.at(anchor_index)
        if (
            as_index is None
            or cursor.mentions[as_index].low != "as"
            or anchor_index is None
            or anchor is None
            or anchor.kind != "value"
            or anchor.used
        ):
            continue
        anchor_column, anchor_value = anchor.values[0]
        for k in (i, target_index, as_index, anchor_index):
            cursor.mentions[k].used = True
        _compare_with_row(state, anchor_column, anchor_value, Expr(target.column), "=")
        return


def than_a_row(state: PlanState) -> None:
    """`countries with a higher life expectancy than France`, `a population larger than Japan`:
    a comparison whose other side is a named row rather than a number."""
    cursor = state.cursor
    for i, mention in enumerate(cursor.mentions):
        if mention.used or not cursor.is_keyword(i, "sup", "cmp"):
            continue
        op = comparison_operator(state, i, column_between=True)
        if op not in (">", "<"):
            continue
        than = (
            i
            if mention.low.endswith(" than")
            else next(
                (k for k in range(i + 1, min(len(cursor.mentions), i + 8)) if cursor.mentions[k].low == "than"), None
            )
        )
        anchor_index = cursor.next_index(than, skip=("stop", "filler")) if than is not None else None
        anchor = cursor.at(anchor_index)
        if than is None or anchor_index is None or anchor is None or anchor.kind != "value" or anchor.used:
            continue
        between = [k for k in range(i + 1, than) if cursor.mentions[k].kind == "column" and not cursor.mentions[k].used]
        before = cursor.previous_index(i, skip=("stop", "filler"))
        if between:
            measure_index = between[0]
        elif (
            cursor.is_index(before)
            and cursor.mentions[before].kind == "column"
            and not cursor.mentions[before].used
        ):
            measure_index = before
        else:
            continue
        column = first_numeric_column(cursor.mentions[measure_index])
        anchor_column, anchor_value = anchor.values[0]
        if not (column.numeric or column.temporal) or column is anchor_column:
            continue
        for k in {i, than, anchor_index, measure_index}:
            cursor.mentions[k].used = True
        if column.rank_like and mention.has("sup"):
            op = "<" if op == ">" else ">"  # "ranked higher than X": a smaller rank number
        _compare_with_row(state, anchor_column, anchor_value, Expr(column), op)
        return


def _compare_with_row(state: PlanState, anchor_column: ColumnRef, anchor_value: Any, measure: Expr, op: str) -> None:
    state.plan.row_comparison = RowComparison(Cond(Expr(anchor_column), "=", [anchor_value]), measure, op)
