"""Passes that read groups: `for each day`, `by sex and smoker`, `per month`, a trend over time."""

from __future__ import annotations

from lumiere.nlq.mention import Mention
from lumiere.nlq.plan import Expr
from lumiere.nlq.planner.shared import additive_aggregate
from lumiere.nlq.planner.state import PlanState
from lumiere.nlq.schema import ColumnRef


def groups(state: PlanState) -> None:
    """`for each day`, `by sex and smoker`: group keys (or every shown column, `for each`)."""
    cursor = state.cursor
    for i, mention in enumerate(cursor.mentions):
        if mention.used:
            continue
        if mention.kind == "kw" and mention.has("group"):
            j = cursor.next_index(i, skip=("stop", "punct", "filler"))
            if cursor.is_keyword(j, "distinct"):
                cursor.mentions[j].used = True
                j = cursor.next_index(j, skip=("stop", "punct", "filler"))
            target = cursor.at(j)
            mention.used = True
            state.per_group_said = True
            named = target is not None and not target.used and (
                (target.kind == "column" and not target.also_table) or (target.kind == "kw" and bool(target.columns))
            )  # "in each order": a keyword that is also a column's name is the column after `each`
            if target is not None and named:
                target.used = True
                _group_by(state, target.columns[0])
                _more_group_columns(state, j)
            elif target is not None and target.kind == "table":
                target.used = True
            elif target is None or target.kind in ("kw", "punct"):
                state.group_all = True
        elif mention.kind == "stop" and mention.low == "by":
            j = cursor.next_index(i, skip=("stop", "filler"))
            target = cursor.at(j)
            verb_before = i > 0 and cursor.mentions[i - 1].kind == "filler"
            if target is None or target.kind != "column" or target.used or verb_before:
                continue
            if _has_aggregate(state):
                target.used = mention.used = True
                _group_by(state, target.column)
                _more_group_columns(state, j)
            elif (measures := _measures_before(state, i)) and _breaks_down(target.column):
                _measures_by(state, measures, target)
                mention.used = True
                _more_group_columns(state, j)


def _measures_before(state: PlanState, i: int) -> list[Mention]:
    """`tip by day`, `sales and profit by region`: the numeric columns named right before `by`
    (joined by `and` or commas); none when anything else stands in that list."""
    cursor = state.cursor
    found: list[Mention] = []
    k = cursor.previous_index(i, skip=("stop",))
    while cursor.is_index(k):
        mention = cursor.mentions[k]
        if mention.kind != "column" or mention.used or not _is_measure(mention.column):
            return []
        found.insert(0, mention)
        joiner = cursor.previous_index(k, skip=("stop",))
        if not (cursor.is_keyword(joiner, "and") or (cursor.is_index(joiner) and cursor.mentions[joiner].low == ",")):
            return found
        k = cursor.previous_index(joiner, skip=("stop",))
    return found


def _is_measure(column: ColumnRef) -> bool:
    return column.numeric_measure and not column.yearish and not column.is_id and column.boolean_values is None


def _breaks_down(column: ColumnRef) -> bool:
    """A column whose values make groups worth comparing: a category, a year, yes/no (not a date
    or an amount, where every row would be its own group)."""
    whole_values = column.text or column.info.kind == "integer"
    return column.yearish or column.boolean_values is not None or (column.category and whole_values)


def _measures_by(state: PlanState, measures: list[Mention], target: Mention) -> None:
    """A measure broken down by a column with no aggregate said: added up where the numbers add
    up (a population, sales), else averaged (a tip, a life expectancy); the note says which."""
    target.used = True
    read = []
    for measure in measures:
        measure.used = True
        agg = additive_aggregate(measure.column)
        state.plan.add_select(Expr(measure.column, agg))
        read.append(f"the {'sum' if agg == 'sum' else 'average'} of {measure.column.name}")
    _group_by(state, target.column)
    words = " and ".join(m.text for m in measures)
    state.plan.notes.append(f"I read '{words} by {target.text}' as {' and '.join(read)} per {target.column.name}.")


def _more_group_columns(state: PlanState, j: int | None) -> None:
    """`by sex and smoker`: every listed column is a group key."""
    cursor = state.cursor
    while True:
        joiner = cursor.next_index(j, skip=("stop",))
        following_index = cursor.next_index(joiner, skip=("stop",)) if joiner is not None else None
        if joiner is None or not (cursor.is_keyword(joiner, "and") or cursor.mentions[joiner].low == ","):
            return
        target = cursor.at(following_index)
        if target is None or target.kind != "column" or target.used:
            return
        target.used = True
        cursor.mentions[joiner].used = True
        _group_by(state, target.column)
        j = following_index


def _has_aggregate(state: PlanState) -> bool:
    plan = state.plan
    return state.count_requested or any(e.agg for e in plan.select) or plan.share or plan.correlation is not None


def _group_by(state: PlanState, column: ColumnRef) -> None:
    expr = Expr(column)
    state.explicit_groups.add(expr.key())
    if all(g.key() != expr.key() for g in state.plan.group):
        state.plan.group.append(expr)
    state.plan.add_select(expr)


def time_buckets(state: PlanState) -> None:
    """`per month`, `over time`: the time column cut to a unit, grouped and ordered by it."""
    cursor = state.cursor
    for mention in cursor.mentions:
        if mention.used or mention.kind != "kw" or not (mention.has("bucket") or mention.has("trend")):
            continue
        unit = mention.payload("bucket")
        columns = _time_columns(state)
        if not columns:
            continue
        mention.used = True
        column = columns[0]
        expr = Expr(column, bucket=unit) if column.temporal and unit else Expr(column)
        state.explicit_groups.add(expr.key())
        if any(g.key() == expr.key() for g in state.plan.group):
            continue  # "by year ... for each year": one cut, said twice
        state.plan.group.append(expr)
        state.plan.add_select(expr)
        if column.temporal or column.yearish:
            state.plan.order.append((expr, False))
        state.trend = True


def _time_columns(state: PlanState) -> list[ColumnRef]:
    cursor = state.cursor
    mentioned = [
        c for mention in cursor.mentions if mention.kind == "column" for c in mention.columns if c.temporal or c.yearish
    ]
    for mention in cursor.mentions:
        if mention.kind == "column" and not mention.used and any(c in mentioned for c in mention.columns):
            mention.used = True
    return mentioned or state.schema.concept_columns("time")
