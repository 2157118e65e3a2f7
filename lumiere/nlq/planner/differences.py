"""Passes whose answer is a difference or a choice between two sides: yes/no questions, `the
difference in population between France and Germany`, `which had more gold, Canada or China?`."""

from __future__ import annotations

from typing import Any

from lumiere.nlq.mention import Mention
from lumiere.nlq.plan import Cond, Difference, Expr, Side
from lumiere.nlq.planner.shared import (
    ON_AVERAGE,
    additive_aggregate,
    comparison_operator,
    count_expr,
    first_numeric_column,
    looks_like_year,
    prefer_mentioned,
    superlative_limit,
)
from lumiere.nlq.planner.state import PlanState
from lumiere.nlq.schema import ColumnRef

_YES_NO_STARTS = frozenset("is are was were did does do has have had can could will would".split())


def yes_no_question(state: PlanState) -> None:
    """`Did France have a higher life expectancy than Germany?`, `Is there a tip over 10?`."""
    cursor = state.cursor
    first = cursor.at(0)
    if (
        first is not None
        and first.kind == "stop"
        and first.low in _YES_NO_STARTS
        and not any(mention.kind == "kw" and mention.has("or") for mention in cursor.mentions)
    ):
        state.plan.answer = "yes_no"
        first.used = True
        # "are there any cars with 12 cylinders", "does anyone earn more": how many, too
        state.plan.count_beside = any(token.low.startswith("any") for token in state.tokens[1:4])


def differences(state: PlanState) -> None:
    """`the difference in X between A and B`, between the highest and the lowest, between two
    columns of each row; else a yes/no comparison of two rows."""
    cursor = state.cursor
    for i, mention in enumerate(cursor.mentions):
        if mention.used or mention.kind != "kw" or not mention.has("diff"):
            continue
        mode = mention.payload("diff")
        if mode in ("change", "drop"):
            difference = _change_over_time(state, i, mode)
        else:
            difference = (
                _difference_of_rows(state, i, mode)
                or _difference_of_extremes(state, i)
                or _difference_of_columns(state, i)
            )
        if difference is None:
            if mention.columns:
                mention.kind = "column"  # a column named `difference`
            elif mode in ("change", "drop") and _said_as_a_trend(state):
                mention.kind = "filler"  # "how did unemployment change by year": the series answers
            continue
        mention.used = True
        state.plan.difference = difference
        return
    _comparison_of_rows(state)


def _difference_of_rows(state: PlanState, i: int, mode: str) -> Difference | None:
    """`difference in population between France and Germany`, `how many more medals did A win
    than B`, `how many years between 1990 and 2000`."""
    cursor = state.cursor
    sides = _two_values(state) or _two_years(state)
    if sides is None:
        return None
    first_index, second_index, column, first_value, second_value = sides
    measure = _difference_measure(state, i, exclude=column)
    if measure is None:
        return None
    cursor.mentions[first_index].used = cursor.mentions[second_index].used = True
    for k in range(i + 1, second_index):
        if cursor.is_keyword(k, "between", "and") and not cursor.mentions[k].used:
            cursor.mentions[k].used = True  # "the difference in X between A and B"
    conditions = [Cond(Expr(column), "=", [first_value], year_of=column.temporal)]
    other = [Cond(Expr(column), "=", [second_value], year_of=column.temporal)]
    return Difference(Side(measure, conditions, first_value), Side(measure, other, second_value), mode)


def _asks_per_label(state: PlanState) -> bool:
    """`countries whose life expectancy dropped …`, `… for each country`: a change for each label,
    which one difference over the filtered rows does not answer."""
    return any(
        not m.used and (m.kind == "table" or (m.kind == "column" and not m.column.numeric) or m.has("group"))
        for m in state.cursor.mentions
    )


def _said_as_a_trend(state: PlanState) -> bool:
    """`by year`, `over time`, `each month`: the change is shown as a series over time."""
    return any(m.kind == "kw" and (m.has("bucket") or m.has("trend")) for m in state.cursor.mentions)


def _change_over_time(state: PlanState, i: int, mode: str) -> Difference | None:
    """`how much did China's population grow between 1952 and 2007`, `by what percent did spending
    rise from 2000 to 2005`: the measure in the later year minus in the earlier one (the other way
    round for a drop: `how much did it fall`), or that change as a percentage of the earlier year.
    Without two years it is no answer here, and the verb is left for the refusal to name."""
    cursor = state.cursor
    sides = _two_years(state)
    if sides is None:
        return None
    first_index, second_index, column, first_year, second_year = sides
    label = _change_label(state, i)
    if label is None and _asks_per_label(state):
        return None
    measure = _difference_measure(state, i, exclude=column)
    if measure is None:
        return None
    ranked = _change_ranked(state, i) if label is not None else None
    cursor.mentions[first_index].used = cursor.mentions[second_index].used = True
    for k in range(max(0, first_index - 1), second_index):
        if cursor.is_keyword(k, "between", "and") and not cursor.mentions[k].used:
            cursor.mentions[k].used = True  # "between 1952 and 2007", "from 1952 to 2007"
    percent = next((m for m in cursor.mentions if m.kind == "kw" and m.has("share") and not m.used), None)
    if percent is not None:
        percent.used = True
    later, earlier = max(first_year, second_year), min(first_year, second_year)
    at_later = [Cond(Expr(column), "=", [later], year_of=column.temporal)]
    at_earlier = [Cond(Expr(column), "=", [earlier], year_of=column.temporal)]
    difference = Difference(
        Side(measure, at_later, later), Side(measure, at_earlier, earlier), mode, as_percent=percent is not None
    )
    if label is not None:
        label.used = True
        difference.label = label.column
        difference.ranked = ranked
        difference.only_where_it_happened = ranked is None and not _said_with_each(state, label)
        if ranked is not None:
            state.plan.limit = superlative_limit(state)
    return difference


def _change_label(state: PlanState, i: int) -> Mention | None:
    """The label a change is asked for: before its verb (`which continent grew …`, `countries whose
    life expectancy dropped …`) or after `each` (`… for each continent`): a text column that repeats."""
    mentions = state.cursor.mentions
    candidates = [m for m in mentions[:i] if m.kind == "column" and not m.used and m.column.text][:1]
    candidates += [m for m in mentions if m.kind == "column" and not m.used and _said_with_each(state, m)]
    return candidates[0] if candidates and not candidates[0].column.unique else None


def _said_with_each(state: PlanState, label: Mention) -> bool:
    """`each country`, `per continent`: every label is listed with its change."""
    k = state.cursor.mentions.index(label)
    return k > 0 and state.cursor.mentions[k - 1].kind == "kw" and state.cursor.mentions[k - 1].has("group")


def _change_ranked(state: PlanState, i: int) -> str | None:
    """`grew the most`, `fell the least`: the superlative right after the verb ranks the labels."""
    cursor = state.cursor
    k = cursor.next_index(i, skip=("stop",))
    if not cursor.is_keyword(k, "sup") or cursor.mentions[k].used:
        return None
    cursor.mentions[k].used = True
    return str(cursor.mentions[k].payload("sup"))


def _two_values(state: PlanState) -> tuple[int, int, ColumnRef, Any, Any] | None:
    """Two values said in the question that belong to the same column."""
    cursor = state.cursor
    values = [k for k, mention in enumerate(cursor.mentions) if mention.kind == "value" and not mention.used]
    for a_pos, a in enumerate(values):
        for b in values[a_pos + 1 :]:
            for column, first_value in cursor.mentions[a].values:
                second_value = next((v for c, v in cursor.mentions[b].values if c is column), None)
                if second_value is not None and second_value != first_value:
                    return a, b, column, first_value, second_value
    return None


def _two_years(state: PlanState) -> tuple[int, int, ColumnRef, Any, Any] | None:
    cursor = state.cursor
    numbers = [
        k
        for k, mention in enumerate(cursor.mentions)
        if mention.kind == "number" and not mention.used and looks_like_year(mention.number or 0)
    ]
    columns = state.schema.concept_columns("time")
    if len(numbers) != 2 or not columns:
        return None
    column = prefer_mentioned(state, columns)
    return numbers[0], numbers[1], column, cursor.mentions[numbers[0]].number, cursor.mentions[numbers[1]].number


def _difference_measure(state: PlanState, i: int, *, exclude: ColumnRef | None) -> Expr | None:
    """What is compared: the number column named (with its aggregate), or the rows counted."""
    cursor = state.cursor
    for k, mention in enumerate(cursor.mentions):
        if mention.kind != "column" or mention.used:
            continue
        numeric = [c for c in mention.columns if c.numeric and c is not exclude]
        if not numeric:
            continue
        column = numeric[0]
        agg_index = cursor.previous_index(k, skip=("stop",))
        mention.used = True
        if cursor.is_keyword(agg_index, "agg") and not cursor.mentions[agg_index].used:
            cursor.mentions[agg_index].used = True
            return Expr(column, cursor.mentions[agg_index].payload("agg"))
        averaged = [m for m in cursor.mentions if not m.used and m.kind == "kw" and m.low in ON_AVERAGE]
        for said in averaged[:1]:
            said.used = True  # "on average, how much more do men earn than women"
        return Expr(column, "avg" if averaged else additive_aggregate(column))
    count = next(
        (k for k, mention in enumerate(cursor.mentions) if not mention.used and cursor.is_keyword(k, "count")), None
    )
    if count is not None:
        cursor.mentions[count].used = True
        return count_expr(state)
    nouns = [mention for mention in cursor.mentions[i + 1 :] if mention.kind == "table" and not mention.used]
    if nouns or cursor.mentions[i].payload("diff") in ("more", "less"):
        for noun in nouns[:1]:
            noun.used = True
        return count_expr(state) if nouns else None
    return None


def _difference_of_extremes(state: PlanState, i: int) -> Difference | None:
    """`the difference between the highest and the lowest tip`."""
    cursor = state.cursor
    first = cursor.next_index(i, skip=("stop",))
    if not cursor.is_keyword(first, "sup") or cursor.mentions[first].used:
        return None
    joiner = cursor.next_index(first, skip=("stop",))
    second = cursor.next_index(joiner, skip=("stop",)) if joiner is not None else None
    if not (cursor.is_keyword(joiner, "and") and cursor.is_keyword(second, "sup")):
        return None
    target = cursor.next_index(second, skip=("stop", "filler"))
    column = cursor.at(target)
    if (
        target is None
        or column is None
        or column.kind != "column"
        or column.used
        or not any(c.numeric or c.temporal for c in column.columns)
    ):
        return None
    measure = first_numeric_column(column)
    for k in (first, joiner, second, target):
        cursor.mentions[k].used = True
    high = "max" if cursor.mentions[first].payload("sup") == "desc" else "min"
    low = "min" if high == "max" else "max"
    return Difference(Side(Expr(measure, high)), Side(Expr(measure, low)), "abs")


def _difference_of_columns(state: PlanState, i: int) -> Difference | None:
    """`the difference between sepal length and sepal width`: two numbers of each row."""
    cursor = state.cursor
    first = cursor.next_index(i, skip=("stop", "filler"))
    joiner = cursor.next_index(first, skip=("stop",)) if first is not None else None
    second = cursor.next_index(joiner, skip=("stop", "filler")) if joiner is not None else None
    if not (cursor.is_keyword(joiner, "and") and cursor.is_index(first) and cursor.is_index(second)):
        return None
    mentions = [cursor.mentions[first], cursor.mentions[second]]
    if any(x.kind != "column" or x.used for x in mentions):
        return None
    columns = [first_numeric_column(x) for x in mentions]
    if not all(c.numeric for c in columns) or columns[0] is columns[1]:
        return None
    for k in (first, joiner, second):
        cursor.mentions[k].used = True
    return Difference(Side(Expr(columns[0])), Side(Expr(columns[1])), "abs", per_row=True)


def _comparison_of_rows(state: PlanState) -> None:
    """`Did France have a higher life expectancy than Germany in 2007?`: A, more/less, than, B."""
    cursor = state.cursor
    if state.plan.answer != "yes_no":
        return
    for i, mention in enumerate(cursor.mentions):
        if mention.used or not cursor.is_keyword(i, "sup", "cmp"):
            continue
        op = comparison_operator(state, i, column_between=True)
        if op not in (">", "<"):
            continue
        sides = _two_values(state)
        if sides is None:
            return
        first_index, second_index, column, first_value, second_value = sides
        if not first_index < i < second_index:
            return
        measure = _difference_measure(state, i, exclude=column)
        if measure is None:
            return
        mention.used = cursor.mentions[first_index].used = cursor.mentions[second_index].used = True
        mode = "more" if op == ">" else "less"
        state.plan.difference = Difference(
            Side(measure, [Cond(Expr(column), "=", [first_value])], first_value),
            Side(measure, [Cond(Expr(column), "=", [second_value])], second_value),
            mode,
        )
        return


def choices(state: PlanState) -> None:
    """`Which had more gold medals, Canada or China?`: the value whose measure is larger."""
    cursor = state.cursor
    if state.plan.difference is not None or state.plan.answer == "yes_no":
        return
    ors = [k for k, mention in enumerate(cursor.mentions) if cursor.is_keyword(k, "or") and not mention.used]
    for k in ors:
        before, after = cursor.previous_index(k), cursor.next_index(k)
        if not (cursor.is_index(before) and cursor.is_index(after)):
            continue
        a, b = cursor.mentions[before], cursor.mentions[after]
        if a.kind != "value" or b.kind != "value" or a.used or b.used:
            continue
        shared = [
            (c, va, next(vb for cb, vb in b.values if cb is c))
            for c, va in a.values
            if any(cb is c for cb, _ in b.values)
        ]
        if not shared:
            continue
        superlative = next(
            (
                j
                for j, mention in enumerate(cursor.mentions)
                if not mention.used and cursor.is_keyword(j, "sup") and not mention.has("agg")
            ),
            None,
        )
        if superlative is None:
            continue
        column, first_value, second_value = shared[0]
        measure = _difference_measure(state, superlative, exclude=column)
        if measure is None:
            continue
        for j in (before, after, k, superlative):
            cursor.mentions[j].used = True
        larger = cursor.mentions[superlative].payload("sup") == "desc"
        if measure.column is not None and measure.column.rank_like:
            larger = not larger  # "the higher ranked" has the smaller rank
        mode = "more" if larger else "less"
        state.plan.difference = Difference(
            Side(measure, [Cond(Expr(column), "=", [first_value])], first_value),
            Side(measure, [Cond(Expr(column), "=", [second_value])], second_value),
            mode,
        )
        state.plan.answer = "choice"
        _consume_question_subject(state)
        return


def _consume_question_subject(state: PlanState) -> None:
    """`which country ...`: in a choice the answer is one of the two values said."""
    cursor = state.cursor
    for k in range(min(3, len(cursor.mentions))):
        mention = cursor.mentions[k]
        if mention.kind in ("column", "table") and not mention.used:
            mention.used = True
            return
        if mention.kind == "kw" and mention.has("wh"):
            mention.used = True
