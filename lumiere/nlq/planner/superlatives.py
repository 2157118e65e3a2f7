"""The pass that reads superlatives: `the highest score`, `the most common species`, `the first
year`, `which continent has the largest population` (groups ranked by an aggregate)."""

from __future__ import annotations

from lumiere.nlq.column_names import adjective_base, measure_of_adjective
from lumiere.nlq.lexicon import SIZE_ADJECTIVES, is_inflected_verb
from lumiere.nlq.mention import Mention
from lumiere.nlq.plan import COUNT_ROWS, Expr, TopPerGroup
from lumiere.nlq.planner.shared import (
    ON_AVERAGE,
    additive_aggregate,
    count_expr,
    first_numeric_column,
    is_comparison_after,
    prefer_mentioned,
    rate_like,
    superlative_limit,
)
from lumiere.nlq.planner.state import PlanState
from lumiere.nlq.schema import ColumnRef

_BE_WORDS = frozenset("is are was were be been being".split())


def superlatives(state: PlanState) -> None:
    """`the most common`, `the first`, `the highest`: a superlative keeps the top rows or
    ranks groups."""
    cursor = state.cursor
    for i, mention in enumerate(cursor.mentions):
        if mention.used or mention.kind != "kw":
            continue
        if mention.has("common"):
            _most_common(state, i, mention.payload("common") == "desc")
        elif mention.has("supcol"):
            _superlative_concept(state, i)
        elif mention.has("sup") and not (mention.has("agg") and not _after_with(state, i)):
            _superlative(state, i, mention.payload("sup") == "desc")


def _after_with(state: PlanState, i: int) -> bool:
    """`the stadium with the maximum capacity` picks a row; `the maximum capacity` aggregates."""
    cursor = state.cursor
    k = i - 1
    while k >= 0 and cursor.mentions[k].low in ("the", "a"):
        k -= 1
    return k >= 0 and cursor.mentions[k].low in ("with", "has", "have", "had", "having", "by")


def _most_common(state: PlanState, i: int, descending: bool) -> None:
    cursor = state.cursor
    mention = cursor.mentions[i]
    target = None
    for k in (
        cursor.next_index(i, skip=("stop", "punct", "filler")),
        cursor.previous_index(i, skip=("stop", "punct", "filler")),
    ):
        near = cursor.at(k)
        if near is not None and near.kind == "column":
            target = near
            break
    mention.used = True
    if target is not None:
        target.used = True
        state.plan.add_select(Expr(target.column))
        state.plan.group.append(Expr(target.column))
    state.rank_groups_by = (descending, COUNT_ROWS)
    state.plan.limit = superlative_limit(state)


def _superlative_concept(state: PlanState, i: int) -> None:
    cursor = state.cursor
    mention = cursor.mentions[i]
    direction, concept = mention.payload("supcol")
    descending = direction == "desc"
    column: ColumnRef | None = None
    if (mention.has("top") or mention.has("bottom")) and _about_the_listing(state):
        # "the first name listed", "the last match on the chart": the file's own order
        mention.used = True
        state.plan.file_order = (descending, state.pending_limit or 1)
        _asked_value(state, i)
        return
    # an explicit column next to the adjective wins ("first ... to register" -> date_first_registered)
    for k in range(i + 1, min(len(cursor.mentions), i + 6)):
        near = cursor.mentions[k]
        if near.kind == "column" and not near.used:
            fitting = [
                c
                for c in near.columns
                if (c.numeric or c.temporal) and (c.has_concept(concept) or (concept == "time" and c.temporal))
            ]
            if fitting:
                column = fitting[0]
                near.used = True
                break
    following = cursor.at(cursor.next_index(i, skip=("stop",)))
    if column is None and following is not None and following.kind == "column" and not following.used:
        measures = [c for c in following.columns if c.numeric or c.temporal]
        if measures and not state.schema.concept_columns(concept):
            # "the shortest life expectancy": the adjective only says which end
            column = measures[0]
            following.used = True
            if concept == "age" and (column.temporal or column.yearish):
                descending = not descending  # "the oldest date" is the earliest
    if column is None:
        candidates = state.schema.concept_columns(concept)
        if not candidates and concept == "age":
            # Without an age, the oldest is the one born first, else the earliest ("the oldest car").
            born = [c for c in state.schema.columns if "birth" in c.word_set and (c.temporal or c.numeric)]
            ageless = not any(c.has_concept("age") for c in state.schema.columns)  # not one held as text
            dated = born or (state.schema.concept_columns("time") if ageless else [])
            if dated:
                candidates, descending = dated, not descending
        if not candidates:
            if mention.has("top") or mention.has("bottom"):
                # "the last representative listed": the last row in the file's order
                mention.used = True
                state.plan.file_order = (descending, state.pending_limit or 1)
            return
        column = prefer_mentioned(state, candidates)
    mention.used = True
    if _per_group_extreme(state, i, column, descending):
        return
    state.plan.order.append((Expr(column), descending))
    state.plan.limit = superlative_limit(state)
    _asked_value(state, i)


def _about_the_listing(state: PlanState) -> bool:
    """The question is about the table as it is laid out: `listed`, `on the list/chart/table`."""
    cursor = state.cursor
    for k, mention in enumerate(cursor.mentions):
        if (
            mention.low in ("listed", "listing")
            or (mention.low in ("list", "chart", "table") and k > 0 and cursor.mentions[k - 1].low == "the")
        ) and mention.kind in ("filler", "stop", "unknown", "table"):
            mention.used = True
            return True
    return False


def _asked_value(state: PlanState, i: int) -> None:
    """`what is the first year?`, `what was the highest score?`: the superlative's own column is
    the answer, not the row's name."""
    cursor = state.cursor
    if any(mention.kind not in ("stop", "punct") for mention in cursor.mentions[:i]) or cursor.mentions[0].low not in (
        "what",
        "which",
        "when",
    ):
        return
    j = cursor.next_index(i, skip=("stop",))
    if cursor.is_keyword(j, "count") and _counted_amount(state, j) is not None:
        j = cursor.next_index(j, skip=("stop",))  # "what is the least number of points earned?"
    column = cursor.at(j)
    if (
        column is not None
        and column.kind == "column"
        and cursor.next_index(cursor.mentions.index(column), skip=("stop", "punct", "filler")) is None
    ):
        state.asked_value = column.column


def _superlative(state: PlanState, i: int, descending: bool) -> None:
    cursor = state.cursor
    mention = cursor.mentions[i]
    j = cursor.next_index(i, skip=("stop", "punct", "filler"))
    near = cursor.at(j)
    if near is not None and near.kind == "kw" and near.has("count") and near.columns and not near.used:
        after_count = cursor.at(cursor.next_index(j, skip=("punct", "filler")))
        if after_count is None or after_count.low != "of":
            near.used = mention.used = True  # "the highest count" where count is a column
            state.plan.order.append((Expr(near.columns[0]), descending))
            state.plan.limit = superlative_limit(state)
            return
    if j is not None and near is not None and near.kind == "kw" and (near.has("rate") or _share_of_rows(state, j)):
        # "the highest survival rate", "the highest percentage of survivors": groups by their share
        mention.used = True
        state.plan.share_ranked = descending
        state.plan.limit = superlative_limit(state)
        return
    amount = _counted_amount(state, j) if j is not None and near is not None and near.kind == "kw" else None
    if near is not None and amount is not None:
        near.used = True
        near = amount  # "the highest number of unemployed": a column that holds that number
    elif near is not None and near.kind == "kw" and near.has("count") and not near.used:
        near.used = True
        k = cursor.next_index(j, skip=("stop", "punct", "filler", "kw"))
        target = cursor.at(k)
        if target is not None and target.kind == "table":
            target.used = True
        elif target is not None and target.kind == "column" and not target.used:
            if not target.also_table:
                target.used = True
                mention.used = True
                state.rank_groups_by = (descending, Expr(target.column, "count", distinct=True))
                state.plan.limit = superlative_limit(state)
                return
            target.used = True
        mention.used = True
        state.rank_groups_by = (descending, COUNT_ROWS)
        state.plan.limit = superlative_limit(state)
        return
    if near is not None and near.kind == "kw" and near.has("distinct") and not near.used:
        near.used = True
        j = cursor.next_index(j, skip=("stop", "punct", "filler"))
        near = cursor.at(j)
    names_rows = near is not None and (
        near.kind == "table" or (near.kind == "column" and near.also_table and not near.column.numeric_measure)
    )  # "the biggest tip" in a table of tips is the largest amount, not the largest party
    measured = _adjective_measure(state, mention) if names_rows else None
    if measured is not None and near is not None:
        # "the longest teeth" over `len`: the rows ranked by what the adjective measures
        near.used = mention.used = True
        state.plan.order.append((Expr(measured), descending))
        state.plan.limit = superlative_limit(state)
        return
    if names_rows and near is not None and mention.low in SIZE_ADJECTIVES and not near.row_noun:
        sizes = state.schema.concept_columns("size") or state.schema.concept_columns("population")
        if sizes:  # "the 5 largest countries": by their area (or population), not by a count
            near.used = mention.used = True
            state.plan.order.append((Expr(prefer_mentioned(state, sizes)), descending))
            state.plan.limit = superlative_limit(state)
            return
    measure_after = _measure_named_after(state, j)
    if near is not None and measure_after is not None:
        # "the biggest diamond in carats", "the largest country by area": ranked by that number
        near.used = mention.used = True
        near = measure_after
    elif near is not None and near.kind == "table":
        near.used = mention.used = True
        state.rank_groups_by = (descending, COUNT_ROWS)
        state.plan.limit = superlative_limit(state)
        return
    if near is not None and near.kind == "kw" and near.has("agg") and not near.used:
        k = cursor.next_index(j, skip=("stop", "punct", "filler"))
        target = cursor.at(k)
        if target is not None and target.kind == "column" and not target.used:
            near.used = target.used = mention.used = True
            state.rank_groups_by = (descending, Expr(first_numeric_column(target), near.payload("agg")))
            state.plan.limit = superlative_limit(state)
            return
    if near is not None and near.kind == "kw" and near.has("agg") and near.columns and not near.used:
        # "the highest total" where `total` is a column
        near.used = mention.used = True
        state.plan.order.append((Expr(near.columns[0]), descending))
        state.plan.limit = superlative_limit(state)
        return
    if (
        near is not None
        and near.kind == "column"
        and not near.used
        and not any(c.numeric or c.temporal for c in near.columns)
        and mention.low.split()[-1] in SIZE_ADJECTIVES
        and near.column is state.schema.display_column
        and (sizes := state.schema.concept_columns("size") or state.schema.concept_columns("population"))
    ):
        # "the 5 largest countries": by their size (the largest a country had), not by a count of rows
        near.used = mention.used = True
        state.plan.add_select(Expr(near.column))
        state.rank_groups_by = (descending, Expr(prefer_mentioned(state, sizes), "max"))
        state.plan.limit = superlative_limit(state)
        return
    if (
        near is not None
        and near.kind == "column"
        and not near.used
        and not any(c.numeric or c.temporal for c in near.columns)
    ):
        # "the most medals" where medal is a label: the most rows; "the continent with the most
        # countries" where countries repeat within a continent: the most distinct countries
        near.used = mention.used = True
        subject = _repeating_target(state, i)
        counted = near.column
        finer = (
            subject is not None
            and subject is not counted
            and (counted.info.distinct_count or 0) > (subject.info.distinct_count or 0)
            and not counted.unique
        )
        state.rank_groups_by = (descending, Expr(counted, "count", distinct=True) if finer else count_expr(state))
        state.plan.limit = superlative_limit(state)
        return
    if (near is None or near.kind in ("punct", "kw", "stop")) and _column_just_before(state, i) is not None:
        near = _column_just_before(state, i)
    if near is not None and near.kind == "column" and not near.used:
        if is_comparison_after(state, i):
            return
        near.used = mention.used = True
        column = first_numeric_column(near)
        if column.rank_like:
            descending = not descending  # "the highest position" is number 1
        if _per_group_extreme(state, i, column, descending):
            return
        group_target = _repeating_target(state, i)
        if group_target is not None and column.numeric_measure and group_target is not column:
            # "which continent has the largest population": continents repeat, so compare totals;
            # "which day had the most tips": an amount said with `most` is how much there was in all
            # (a rate, `the most mpg`, stays averaged)
            said_as_quantity = mention.low.split()[-1] in _HOW_MUCH_SUPERLATIVES and not rate_like(column)
            agg = "sum" if said_as_quantity else additive_aggregate(column)
            state.rank_groups_by = (descending, Expr(column, agg))
            state.plan.limit = superlative_limit(state)
            return
        state.plan.order.append((Expr(column), descending))
        state.plan.limit = superlative_limit(state)
        return
    if near is not None and near.kind == "kw" and near.has("share") and near.columns and not near.used:
        near.used = mention.used = True
        state.plan.order.append((Expr(near.columns[0]), descending))
        state.plan.limit = superlative_limit(state)
        return
    if (near is None or near.kind == "punct") and mention.low in (
        "the most",
        "most",
        "the least",
        "least",
        "the fewest",
        "fewest",
    ):
        # "which position was drafted the most": the label with the most rows
        mention.used = True
        state.rank_groups_by = (descending, count_expr(state))
        state.plan.limit = superlative_limit(state)


# `the most tips`: superlatives of an amount (row_nouns also reads the comparatives more/less/fewer)
_HOW_MUCH_SUPERLATIVES = frozenset(("most", "least", "fewest"))
_NUMBERING_WORDS = frozenset(("no", "number", "num"))


def _share_of_rows(state: PlanState, j: int) -> bool:
    """`the highest percentage of survivors`: a share said with the rows it counts (a bare
    `the highest percentage` is a column of percentages, or a question this engine cannot place)."""
    cursor = state.cursor
    share = cursor.mentions[j]
    if not share.has("share") or share.columns or share.used:
        return False
    k = cursor.next_index(j, skip=("filler", "punct"))
    if k is None or cursor.mentions[k].low != "of":
        return False
    counted = cursor.at(cursor.next_index(k))
    return counted is not None and (
        counted.kind in ("table", "value") or (counted.kind == "column" and counted.column.boolean_values is not None)
    )


def _counted_amount(state: PlanState, j: int) -> Mention | None:
    """The number column right after `number of` (`unemploy` in "the highest number of unemployed"):
    it already holds the count, so the rows are ranked by it, not by a count of its values."""
    cursor = state.cursor
    if cursor.mentions[j].used or not cursor.is_keyword(j, "count"):
        return None
    target = cursor.at(cursor.next_index(j, skip=("stop", "punct", "filler")))
    if target is None or target.kind != "column" or target.used or target.also_table:
        return None
    column = target.column
    numbering = column.rank_like or column.is_id or "#" in column.name or bool(_NUMBERING_WORDS & column.word_set)
    return target if column.numeric_measure and not column.calendar_part and not numbering else None


def _measure_named_after(state: PlanState, j: int | None) -> Mention | None:
    """The number column right after `in`/`by` that follows the rows' noun at `j`, if any."""
    cursor = state.cursor
    if j is None or cursor.mentions[j].kind != "table":
        return None
    k = cursor.next_index(j, skip=("filler",))
    if k is None or cursor.mentions[k].low not in ("in", "by"):
        return None
    after = cursor.at(cursor.next_index(k))
    if after is None or after.kind != "column" or after.used or not any(c.numeric_measure for c in after.columns):
        return None
    return after


def _adjective_measure(state: PlanState, mention: Mention) -> ColumnRef | None:
    """The number column a superlative adjective measures (`longest` -> length), if one fits."""
    base = adjective_base(mention.low.split()[-1])
    measure = measure_of_adjective(base, state.schema) if base else None
    return measure[1] if measure is not None else None


def _repeating_target(state: PlanState, i: int) -> ColumnRef | None:
    """The label a `which X has the highest Y` question asks for, when X repeats across rows."""
    cursor = state.cursor
    for k in range(i):
        mention = cursor.mentions[k]
        if mention.kind == "column" and not mention.used:
            column = mention.column
            repeats = (
                column.info.distinct_count is not None
                and column.info.distinct_count * 2 <= state.schema.table.row_count
            )
            labels = column.text or column.calendar_part or column.yearish  # `peak_hour` 0..23, years
            if labels and repeats and not column.name_like:
                return column
            return None
    return None


def _column_just_before(state: PlanState, i: int) -> Mention | None:
    """The adjective follows its column: `When was MSFT highest?`, `the singer who is worth the
    most`, `the shop whose number of products is the largest`."""
    cursor = state.cursor
    k = i - 1
    while k >= 0 and cursor.mentions[k].low in ("the", "a"):
        k -= 1
    said_with_be = k >= 0 and cursor.mentions[k].low in _BE_WORDS
    if said_with_be:
        k -= 1  # "X is the largest"
    before = cursor.at(k)
    if (
        before is None
        or before.kind != "column"
        or before.used
        or not any(c.numeric or c.temporal for c in before.columns)
    ):
        return None
    if k == i - 1 or said_with_be or cursor.mentions[k - 1].low in _BE_WORDS:
        return before
    if k == i - 2 and _said_as_verb(before):
        return before  # "which animal sleeps the most": the column said as what the row does
    return None


def _said_as_verb(mention: Mention) -> bool:
    """The mention ends in a verb the column is named by: `sleeps`, `weighs`, `earns`."""
    last = mention.text.split()[-1].lower()
    return last.endswith("s") and is_inflected_verb(last)


_PER_GROUP_WORDS = frozenset(("for each", "each", "per", "in each", "every", "for every", "of each", "in every"))


def _per_group_extreme(state: PlanState, i: int, column: ColumnRef, descending: bool) -> bool:
    """`the highest ozone reading in each month`, `shortest tooth length for each dose`: the
    extreme of a number within every group is its maximum (or minimum) per group. When the
    superlative picks a row instead (`the most powerful car from each origin`) it is not read here."""
    cursor = state.cursor
    if not column.numeric or column.rank_like:
        return False
    said_per_group = any(
        m.kind == "kw" and m.has("group") and m.low in _PER_GROUP_WORDS and not m.used for m in cursor.mentions[i + 1 :]
    )
    if not said_per_group:
        return False
    following = cursor.mentions[i + 1 : i + 4]
    asked_by_noun = any(
        m.said_with_row_noun and k > 0 and cursor.mentions[k - 1].low in ("which", "what")
        for k, m in enumerate(cursor.mentions[:i])
    )  # "which animal sleeps the longest in each diet group"
    if asked_by_noun or any(m.kind == "table" for m in following):
        # "the most powerful car from each origin": each group's row, named where rows have names
        # (top_rows_per_group); "the biggest diamond in carats for each cut": the largest carat
        state.row_per_group_asked = True
    state.plan.add_select(Expr(column, "max" if descending else "min"))
    return True


def averaged_superlatives(state: PlanState) -> None:
    """`which month was the windiest on average`: a superlative said `on average` over a label that
    repeats ranks the labels by the measure's average, instead of picking the single windiest row."""
    cursor = state.cursor
    for i, mention in enumerate(cursor.mentions):
        if mention.used or mention.kind != "kw" or mention.low not in ON_AVERAGE:
            continue
        if state.rank_groups_by is not None:
            descending, ranked = state.rank_groups_by
            if ranked.column is not None and ranked.agg in ("sum", "avg"):
                # "which day had the highest tip on average": days compared by their average tip
                mention.used = True
                state.rank_groups_by = (descending, Expr(ranked.column, "avg"))
            return
        if len(state.plan.order) != 1:
            return
        measure, descending = state.plan.order[0]
        if measure.agg is not None or measure.column is None or not measure.column.numeric_measure:
            return
        label = _repeating_label_before(state, i, measure.column)
        if label is None:
            return
        mention.used = True
        state.plan.order = []
        state.plan.add_select(Expr(label))
        state.rank_groups_by = (descending, Expr(measure.column, "avg"))
        return


def _repeating_label_before(state: PlanState, end: int, measure: ColumnRef) -> ColumnRef | None:
    """The first column named before `end` whose values repeat across rows (`month`, `dose`)."""
    rows = state.schema.table.row_count
    for k, mention in enumerate(state.cursor.mentions[:end]):
        if mention.kind != "column" or measure in mention.columns:
            continue
        column = mention.column
        distinct = column.info.distinct_count
        repeats = distinct is not None and distinct > 1 and distinct * 2 <= rows
        asked = k > 0 and state.cursor.mentions[k - 1].low in ("which", "what")  # "which dose": a label
        if (repeats and (asked or not column.numeric_measure)) or column.calendar_part:
            mention.used = True
            return column
        return None
    return None


def top_rows_per_group(state: PlanState) -> None:
    """`the country with the highest life expectancy in each continent`: the best row of each group
    said with `each`/`per`, not every (continent, country) pair; `the 2 biggest tips for each day`:
    the two largest values of each day, not one maximum per day."""
    plan = state.plan
    if not state.per_group_said or not plan.group or not plan.order or plan.answer != "rows":
        return
    if plan.share or plan.having or plan.star or plan.difference is not None:
        return
    ranked = plan.order[0][0]
    partition = [g for g in plan.group if g.key() in state.explicit_groups]
    labels = [g for g in plan.group if g.key() not in state.explicit_groups]
    if ranked.agg is None or not partition or any(g.bucket for g in partition):
        return
    # the superlative's direction: said with the ranking ("the highest average"), else the extreme's own
    if state.rank_groups_by is not None:
        descending = state.rank_groups_by[0]
    elif ranked.agg in ("max", "min"):
        descending = ranked.agg == "max"
    else:
        return
    named = (
        not labels
        and ranked.agg in ("max", "min")
        and (_rows_named(state) or (state.row_per_group_asked and state.schema.display_is_identifier))
    )
    if named:  # "which car has the highest horsepower in each origin": each group's car, by its name
        labels = [Expr(state.schema.display_column)]
    if labels:
        if any(g.column is None or (g.column.numeric_measure and not g.column.yearish) for g in labels):
            return  # an amount as the row's label ("biggest diamond in carats" → carat) is a misreading
        if named:
            plan.group.extend(labels)
            plan.select[len(partition) : len(partition)] = labels
        count = plan.limit or 1
    elif plan.limit is not None and plan.limit > 1 and ranked.agg in ("max", "min") and ranked.column is not None:
        count = plan.limit  # the values themselves, row by row
        ranked = Expr(ranked.column)
        plan.select = [*partition, ranked]
        plan.group = []
    else:
        return
    plan.top_per_group = TopPerGroup(partition=partition, ranked_by=ranked, descending=descending, count=count)
    plan.order, plan.limit = [], None
    keys = ", ".join(g.column.name for g in partition if g.column is not None)
    which = "highest" if descending else "lowest"
    rows = "the row" if count == 1 else f"the {count} rows"
    plan.notes.append(f"I read it as {rows} with the {which} {_ranked_name(ranked)} in each {keys} (ties kept).")


def _rows_named(state: PlanState) -> bool:
    """The question asks for rows of the table by its own noun (`which car ...`, `the 2 cars with ...`;
    not `the maximum net worth of singers`), and rows have names."""
    cursor = state.cursor
    for i, mention in enumerate(cursor.mentions):
        if mention.kind != "table" or mention.row_noun:
            continue
        before = cursor.previous_index(i, skip=("punct",))
        while cursor.is_index(before) and (
            cursor.mentions[before].low in ("the", "a", "an") or cursor.mentions[before].kind == "number"
        ):
            before = cursor.previous_index(before, skip=("punct",))
        if before is None or cursor.mentions[before].low in ("which", "what"):
            return state.schema.display_is_identifier
    return False


def _ranked_name(expr: Expr) -> str:
    name = expr.column.name if expr.column is not None else "rows"
    return f"{expr.agg} {name}" if expr.agg in ("sum", "avg", "count") else name
