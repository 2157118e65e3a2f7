"""Passes that catch a plan which would answer a different question than the one asked.

Each looks for a shape that, on real questions, came from a misreading rather than a request: an
OR between values the question never joined with "and"/"or", every value of a column OR-ed
(which is a breakdown, not a filter), rows counted per key that is different on nearly every row,
a share whose part is every row, a sort on a column the groups do not have. The first is mended
where the meaning is certain (a breakdown becomes a group); the others refuse and name the words,
because an honest refusal beats an answer that looks right.
"""

from __future__ import annotations

from lumiere.nlq.mention import Mention
from lumiere.nlq.plan import Cond, Expr, Unplaced
from lumiere.nlq.planner.shared import PLACE_PREPOSITIONS
from lumiere.nlq.planner.state import PlanState

# A key with at least this share of distinct values among the rows is nearly one value per row.
_NEARLY_UNIQUE = 0.9
_MIN_ROWS_FOR_UNIQUENESS = 20
_MANY_AMOUNTS = 0.5
# Words that may stand between two values the question joins: "A and B", "A, B or C".
_JOINING_WORDS = frozenset(("and", "or", ",", "&", "/", "either", "nor", "both", "vs", "versus"))


def breakdowns_and_joins(state: PlanState) -> None:
    """`survivors and non-survivors`, `men and women`: every value of a column OR-ed is a
    breakdown by that column; values OR-ed that the question did not join are a misreading
    (`how many of the deaths were homicides` is not `Death OR Homicide`)."""
    plan = state.plan
    kept: list[list[Cond]] = []
    for group in plan.where:
        if not _is_value_choice(group):
            kept.append(group)
            continue
        column = group[0].expr.column
        assert column is not None  # an equality on a stored value always names its column
        values = {value for cond in group for value in cond.values}
        if _covers_every_value(column.info.distinct_count, column.info.null_count, len(values)) and not _said_or(
            state, group
        ):
            expr = Expr(column)
            if all(g.key() != expr.key() for g in plan.group):
                plan.group.append(expr)
            plan.add_select(expr)
            plan.notes.append(f"I read '{_joined_words(state, group)}' as one row per {column.name}.")
            continue
        if not _joined_in_question(state, group):
            words = [m.text for m in _value_mentions(state, group)]
            raise Unplaced(
                words,
                f"I could not tell how {' and '.join(repr(w) for w in words)} go together: they are different "
                f"values of {column.name}. Ask about one of them, or say 'A or B'.",
            )
        kept.append(group)
    plan.where = kept


def _is_value_choice(group: list[Cond]) -> bool:
    if len(group) < 2:
        return False
    first = group[0].expr
    return all(
        cond.op == "=" and cond.other is None and not cond.year_of and cond.expr.key() == first.key()
        for cond in group
    ) and first.column is not None and first.agg is None


def _covers_every_value(distinct: int | None, nulls: int | None, chosen: int) -> bool:
    return distinct is not None and distinct >= 2 and chosen >= distinct and not nulls


def _value_mentions(state: PlanState, group: list[Cond]) -> list[Mention]:
    wanted = {(cond.expr.column.name if cond.expr.column else None, value) for cond in group for value in cond.values}
    found = [
        mention
        for mention in state.cursor.mentions
        if mention.kind == "value" and any((column.name, value) in wanted for column, value in mention.values)
    ]
    if found or not all(isinstance(value, bool) for value in values_of(group)):
        return found
    # a yes/no column named by its own word: "survivors and non-survivors"
    return [m for m in state.cursor.mentions if m.kind == "column" and m.used and group[0].expr.column in m.columns]


def values_of(group: list[Cond]) -> list[object]:
    return [value for cond in group for value in cond.values]


def _said_or(state: PlanState, group: list[Cond]) -> bool:
    """`in 2014 or 2015` keeps a filter even when those are the only two years."""
    mentions = state.cursor.mentions
    positions = sorted(i for i, m in enumerate(mentions) if m in _value_mentions(state, group))
    if len(positions) < 2:
        return True
    return any(mentions[i].low in ("or", "either", "nor") for i in range(positions[0], positions[-1] + 1))


def _joined_words(state: PlanState, group: list[Cond]) -> str:
    return " and ".join(m.text for m in _value_mentions(state, group)) or "those values"


def _joined_in_question(state: PlanState, group: list[Cond]) -> bool:
    """Whether only joining words stand between the first and last of the OR-ed values."""
    mentions = state.cursor.mentions
    positions = sorted(i for i, m in enumerate(mentions) if m in _value_mentions(state, group))
    if len(positions) < 2:
        return True  # one phrase that matched several stored values ("Ohio" in two spellings)
    for i in range(positions[0] + 1, positions[-1]):
        between = mentions[i]
        if i in positions:
            continue
        if between.kind in ("punct", "kw") or between.low in _JOINING_WORDS:
            continue  # "A and B", "A, B", "difference between A and B", "A larger than B"
        if between.kind == "stop" and between.low in ("the", "a", "an", "of"):
            continue
        if between.kind == "column" and group[0].expr.column in between.columns:
            continue  # "Hawaii or the state of Wisconsin": the column named again
        return False
    return True


def check_counts_per_row(state: PlanState) -> None:
    """Rows counted per a key nobody asked to group by, when that key differs on nearly every row,
    answer "1" for each: `what date had the highest number of unemployed` is not a count per date."""
    plan = state.plan
    counted = [e for e in (*plan.select, *(expr for expr, _ in plan.order)) if e.agg == "count"]
    if not counted or not plan.group:
        return
    for key in plan.group:
        column = key.column
        if column is None or key.bucket is not None or key.key() in state.explicit_groups:
            continue
        rows = column.row_count or 0
        distinct = column.info.distinct_count or 0
        # an amount (hours slept, a price) is counted per value only when asked in so many words
        share = _MANY_AMOUNTS if column.numeric_measure and not column.yearish else _NEARLY_UNIQUE
        # on a short table only a key with no repeat at all is sure to count 1 for every row
        every_row_its_own = rows >= 3 and distinct >= rows - (column.info.null_count or 0)
        if every_row_its_own:
            raise Unplaced(
                [column.name],
                f"Each {column.name} appears once, so counting rows for each gives 1 everywhere and none stands "
                "out. Name the column that holds the number you want, or say what to count.",
            )
        if rows >= _MIN_ROWS_FOR_UNIQUENESS and distinct >= share * rows:
            raise Unplaced(
                [column.name],
                f"Counting rows for each {column.name} gives 1 almost everywhere: it differs on nearly every row. "
                "Name the column that holds the number you want, or say what to count.",
            )


def check_share_part(state: PlanState) -> None:
    """A share needs a part: `share of orders returned` with `returned` unread would be 100%."""
    plan = state.plan
    if plan.share_ranked is not None and not plan.group:
        # "which had a higher percentage, Telugu or Marathi": no groups to rank by their share
        words = [m.text for m in state.cursor.mentions if m.kind == "kw" and (m.has("sup") or m.has("supcol"))]
        raise Unplaced(
            words or ["highest"],
            "I could not tell which groups to rank by their percentage. Say it with 'for each', "
            "for example 'which class has the highest survival rate'.",
        )
    if plan.share and not plan.group and not plan.share_filter:
        words = [m.text for m in state.cursor.mentions if m.kind == "kw" and m.has("share")]
        raise Unplaced(
            words or ["share"],
            "I could not tell which rows make up the part of this share. Name the value or condition, "
            "for example 'share of orders where status is cancelled'.",
        )


def check_sort_on_groups(state: PlanState) -> None:
    """Grouped rows can only be sorted by a key or an aggregate: `highest ozone in each month`
    sorted by ozone itself is a per-group extreme this engine does not write."""
    plan = state.plan
    if not plan.group:
        return
    if plan.file_order is not None:
        words = [m.text for m in state.cursor.mentions if m.kind == "kw" and (m.has("top") or m.has("bottom"))]
        raise Unplaced(words or ["first"], "I could not tell what 'first' or 'last' means once the rows are grouped.")
    keys = {g.key() for g in plan.group}
    for expr, _ in plan.order:
        if expr.agg is None and expr.column is not None and expr.key() not in keys:
            raise Unplaced(
                [expr.column.name],
                f"I could not tell how to rank the groups by {expr.column.name}: say 'highest average "
                f"{expr.column.name}' or 'highest total {expr.column.name}'.",
            )


def check_superlative_as_place(state: PlanState) -> None:
    """`average calories of the cereals on the top shelf`, `median length at the highest dose`: the
    superlative picks the rows (those at the top value), it is not a second number to show."""
    plan = state.plan
    if plan.group or sum(1 for expr in plan.select if expr.agg) < 2:
        return
    mentions = state.cursor.mentions
    for i, mention in enumerate(mentions):
        if not (mention.used and mention.kind == "kw" and (mention.has("sup") or mention.has("supcol"))):
            continue
        k = i - 1
        while k >= 0 and mentions[k].low in ("the", "a"):
            k -= 1
        if k >= 0 and mentions[k].low in PLACE_PREPOSITIONS:
            raise Unplaced(
                [mention.text],
                f"I could not read '{mentions[k].text} the {mention.text} …' as a condition: name the value "
                f"instead (for example 'where shelf is 3').",
            )


_TIME_UNITS = {"year": "year", "years": "year", "month": "month", "months": "month", "week": "week",
               "weeks": "week", "quarter": "quarter", "quarters": "quarter"}


def time_unit_keys(state: PlanState) -> None:
    """`which year had the highest average savings rate` over a date column: the groups are years,
    not dates. A date key named by a unit word is cut to that unit."""
    plan = state.plan
    for key in list(plan.group):
        column = key.column
        if column is None or not column.temporal or key.bucket is not None:
            continue
        units = {
            _TIME_UNITS[m.low.split()[-1]]
            for m in state.cursor.mentions
            if m.low.split()
            and m.low.split()[-1] in _TIME_UNITS
            and (
                (m.kind == "column" and column in m.columns)
                or (m.kind == "kw" and m.has("wh"))
                or (m.kind == "table" and m.row_noun)  # "which month had …" over weekly dates
            )
        }
        if len(units) != 1:
            continue
        cut = Expr(column, bucket=units.pop())
        plan.group = [cut if g.key() == key.key() else g for g in plan.group]
        plan.select = [cut if e.key() == key.key() else e for e in plan.select]
        plan.order = [(cut if e.key() == key.key() else e, d) for e, d in plan.order]


def order_time_groups_by_their_key(state: PlanState) -> None:
    """`average daily high by year, oldest first`: groups cut from a date column, sorted by that date,
    are sorted by their own key (each year's dates sort the way the years do)."""
    plan = state.plan
    cuts = {g.column.name: g for g in plan.group if g.column is not None and g.column.temporal and g.bucket}
    order: dict[tuple, tuple[Expr, bool]] = {}
    for said, descending in plan.order:
        expr = said
        if said.agg is None and said.bucket is None and said.column is not None and said.column.name in cuts:
            expr = cuts[said.column.name]
        order.setdefault(expr.key(), (expr, descending))  # the first said wins over the groups' own order
    plan.order = list(order.values())


def check_one_group(state: PlanState) -> None:
    """Groups ranked or counted over a column the question fixed to one value (`the orange juice
    group` → supp = 'OJ', then rows per supp) rank a single group: a misreading. A yes/no answer
    ("was Sat the day with the highest total tip?") compares the named group with the others."""
    plan = state.plan
    if plan.answer != "rows":
        return
    fixed = {
        group[0].expr.key()
        for group in plan.where
        if len(group) == 1 and group[0].op == "=" and group[0].expr.agg is None and len(group[0].values) == 1
    }
    for key in plan.group:
        if key.key() in fixed and key.key() not in state.explicit_groups and key.column is not None:
            raise Unplaced(
                [key.column.name],
                f"{key.column.name} is fixed to one value by the question, so there is nothing to rank by it. "
                "Say which number to show.",
            )


def check_each_and_limit(state: PlanState) -> None:
    """`the biggest diamond for each cut` asks for one answer per group; a limit over the whole
    result would keep one group only."""
    plan = state.plan
    if state.per_group_said and plan.group and plan.limit is not None:
        words = [m.text for m in state.cursor.mentions if m.kind == "kw" and m.has("group")]
        raise Unplaced(
            words or ["each"],
            "I cannot yet answer a top or extreme within each group; ask for one group at a time, "
            f"or for the maximum per group ('maximum <number column> for each {_key_name(plan.group[0])}').",
        )


def check_order_beside_aggregate(state: PlanState) -> None:
    """`average tip on the latest day` over a text `day`: one total has no rows left to sort, so an
    order by a plain column cannot say which rows to add up."""
    plan = state.plan
    if plan.group or plan.star or not any(expr.agg for expr in plan.select):
        return
    for expr, _ in plan.order:
        if expr.agg is None and expr.column is not None:
            words = [m.text for m in state.cursor.mentions if m.kind == "kw" and (m.has("sup") or m.has("supcol"))]
            raise Unplaced(
                words or [expr.column.name],
                f"I could not tell which rows to add up when they are ordered by {expr.column.name}: name the "
                f"value instead (for example 'where {expr.column.name} is …').",
            )


def check_row_picked_beside_aggregate(state: PlanState) -> None:
    """`how many carats is the most expensive diamond` picks one row by price: adding carats up
    beside the maximum price answers something else."""
    plan = state.plan
    if plan.group or sum(1 for expr in plan.select if expr.agg) < 2:
        return
    mentions = state.cursor.mentions
    for i, mention in enumerate(mentions):
        if not (mention.used and mention.kind == "kw" and (mention.has("sup") or mention.has("supcol"))):
            continue
        j = i + 1
        while j < len(mentions) and mentions[j].kind in ("stop", "filler"):
            j += 1
        if j < len(mentions) and mentions[j].kind == "table":
            raise Unplaced(
                [f"{mention.text} {mentions[j].text}"],
                f"'{mention.text} {mentions[j].text}' picks one row: ask for its value, for example "
                f"'<column> of the {mention.text} {mentions[j].text}'.",
            )


def _key_name(key: Expr) -> str:
    return key.column.name if key.column is not None else "group"


_MEASURE_AGGREGATES = (None, "sum", "avg", "min", "max", "median")


def check_value_named_like_a_measure(state: PlanState) -> None:
    """`how many votes did Joly get` over an election with a `Joly` column of votes and a `winner`
    column holding 'Joly': read as a value, the answer adds up the totals of the districts Joly won,
    which is not what was asked. When a value also names a number column exactly, a plan that shows
    another number is refused and both readings are named, unless the value's column was said."""
    plan = state.plan
    shown = [*plan.select, *(expr for expr, _ in plan.order)]
    measures = {
        e.column.name
        for e in shown
        if e.column is not None and e.column.numeric_measure and e.agg in _MEASURE_AGGREGATES
    }
    if not measures:
        return
    said = {c.name for m in state.cursor.mentions if m.kind == "column" for c in m.columns[:1]}
    for mention in state.cursor.mentions:
        if mention.kind != "value" or not mention.used:
            continue
        for column, value in mention.values:
            named = next(
                (c for c in state.schema.columns if c.numeric_measure and c.name.lower() == str(value).lower()), None
            )
            if named is None or named.name in measures or column.name in said:
                continue
            raise Unplaced(
                [mention.text],
                f"'{mention.text}' is both a column of numbers ({named.name}) and a value of {column.name}. "
                f"Say 'the {named.name} column' for its numbers, or '{column.name} {value}' for the rows "
                f"where {column.name} is {value}.",
            )

