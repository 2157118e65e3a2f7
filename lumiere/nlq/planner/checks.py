"""Passes that check the finished plan and refuse rather than guess: text added up or compared
with a number, a named row that is several rows, words no pass could place."""

from __future__ import annotations

from lumiere.nlq.mention import Mention
from lumiere.nlq.plan import Unplaced
from lumiere.nlq.planner.state import PlanState

_NUMBER_AGGREGATES = frozenset("avg sum median stddev".split())  # meaningless on text
_ORDER_OPS = frozenset((">", "<", ">=", "<=", "between"))
# Aggregate words that always ask for a computation; "total" or "overall" often only restate one.
_STRONG_AGGREGATES = frozenset(("avg", "median", "stddev"))
_STRONG_SUMS = frozenset(("sum", "sum of"))


def check_row_comparison(state: PlanState) -> None:
    """The named row must be one row: `France` in a table of countries by year needs a year."""
    comparison = state.plan.row_comparison
    if comparison is None:
        return
    anchor_column = comparison.anchor.expr.column
    assert anchor_column is not None  # the named row is always picked by a column's value
    if anchor_column.unique or comparison.anchor_filters(state.plan):
        return
    value = comparison.anchor.values[0]
    raise Unplaced(
        [str(value)],
        f"'{value}' has several rows in {anchor_column.name}; say which one to compare with "
        "(a year, for instance).",
    )


def check_measures(state: PlanState) -> None:
    """Adding up text, or comparing it with a number, means the question was misread: say so
    rather than send the database SQL it rejects."""
    plan = state.plan
    if any(expr.agg == "count" for expr in plan.select):
        # "how many total robots are there": `total` restates the count, it adds nothing up
        added_text = {e.key() for e in plan.select if e.agg == "sum" and e.column is not None and not e.column.numeric}
        plan.select = [e for e in plan.select if e.key() not in added_text]
        plan.order = [(e, descending) for e, descending in plan.order if e.key() not in added_text]
    measures = [*plan.select, *(expr for expr, _ in plan.order), *(cond.expr for cond in plan.having)]
    if plan.difference is not None:
        measures += [plan.difference.first.measure, plan.difference.second.measure]
    # "total gdp" adds up; "how many threads per inch" reads the one row's figure
    said_total = any(m.kind == "kw" and m.used and m.payload("agg") == "sum" for m in state.cursor.mentions)
    for expr in measures:
        if said_total and expr.agg == "sum" and expr.column is not None and _per_unit_figure(expr.column.word_set):
            name = expr.column.name
            raise Unplaced(
                [name],
                f"'{name}' is a rate or an average already (per person, per cent, per unit): adding it up "
                f"over rows gives no total. Ask for its average, or for the column it is worked out from.",
            )
        if expr.agg in _NUMBER_AGGREGATES and expr.column is not None and not expr.column.numeric:
            name = expr.column.name
            raise Unplaced(
                [name],
                f"'{name}' holds text, not numbers: it cannot be added up or averaged. "
                f"Ask how many rows there are, or name a numeric column.",
            )
    for cond in (cond for group in plan.where for cond in group):
        column = cond.expr.column
        compares_numbers = cond.op in _ORDER_OPS and all(isinstance(v, int | float) for v in cond.values)
        if (
            compares_numbers
            and column is not None
            and cond.expr.agg is None
            and cond.other is None
            and not cond.year_of
            and column.text
            and not column.numeric
        ):
            raise Unplaced(
                [column.name],
                f"'{column.name}' holds text, so it cannot be compared with a number. "
                f"Name a numeric or date column to compare.",
            )


_PER_UNIT_WORDS = frozenset(
    "per percap percapita capita pct percent percentage rate ratio avg average mean median".split()
)


def _per_unit_figure(words: set[str]) -> bool:
    """A column whose name says it is already per something (`gdpPercap`, `points_per_game`,
    `unemployment_rate`, `avg_price`): a sum of it over rows means nothing."""
    return bool(words & _PER_UNIT_WORDS)


def _strong_aggregate(mention: Mention) -> bool:
    """An aggregate that must be applied to be answered: an average, or `sum` (`total`, `overall`,
    `in total` also restate a count or name a column: `how many stages in total`)."""
    agg = mention.payload("agg")
    return agg in _STRONG_AGGREGATES or (agg == "sum" and mention.low in _STRONG_SUMS)


def check_unplaced(state: PlanState) -> None:
    """Refuses when a word that carries meaning was used by no pass."""
    cursor = state.cursor
    leftovers = []
    for mention in cursor.mentions:
        if mention.used:
            continue
        if mention.kind in ("unknown", "quoted", "value", "number"):
            leftovers.append(mention.text)
        elif (
            mention.kind == "kw"
            and any(
                mention.has(tag)
                for tag in (
                    "cmp",
                    "cmpcol",
                    "like",
                    "common",
                    "supcol",
                    "share",
                    "between",
                    "position",
                    "sup",
                    "same",
                    "diff",
                    "missing",
                    "arith",
                    "chrono",
                    "corr",
                )
            )
            and not (mention.has("between") and mention.low == "from")
            and not mention.has("group")
        ):
            if mention.has("supcol") and (mention.has("top") or mention.has("bottom")):
                continue
            leftovers.append(mention.text)
        elif mention.kind == "kw" and _strong_aggregate(mention) and not mention.has("group"):
            leftovers.append(mention.text)  # "average tooth length for each supplement" never averaged
    if leftovers:
        raise Unplaced(leftovers)
