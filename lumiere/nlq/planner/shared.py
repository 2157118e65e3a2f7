"""Lookups several pass families make: the numeric column a mention names, the column the
question mentions among candidates, what `how many` counts, and adding a condition to WHERE."""

from __future__ import annotations

from lumiere.nlq.mention import Mention
from lumiere.nlq.plan import COUNT_ROWS, Cond, Expr
from lumiere.nlq.planner.state import PlanState
from lumiere.nlq.schema import ColumnRef

# "at the highest dose", "on the top shelf": prepositions that put a superlative in place of a value.
PLACE_PREPOSITIONS = frozenset(("at", "on", "in", "for", "from", "during"))
# "how old were the victims on average", "how much more do men earn, on average": an average said
# apart from its column
ON_AVERAGE = frozenset(("on average", "on the average", "in average", "typically"))

# Measures that add up over time (a population, sales); others (rates, prices) are averaged.
_ADDITIVE_WORDS = frozenset(
    "pop population count quantity qty sales revenue amount total volume cases deaths births sum units orders".split()
)
_RATE_WORDS = frozenset("per rate ratio mpg mph kph average avg mean median percent percentage pct share".split())
_COUNT_COLUMN_NAMES = frozenset("count counts quantity qty n".split())
NEGATED = {">": "<=", "<": ">=", ">=": "<", "<=": ">", "=": "!=", "!=": "="}


def rate_like(column: ColumnRef) -> bool:
    """A rate, ratio or average per row (`mpg`, `goals per game`, `win_pct`): never added up."""
    return any(matcher.word in _RATE_WORDS for matcher in column.words)


def additive_aggregate(column: ColumnRef) -> str:
    """How a measure is summed up over many rows: added (a population, a `total_bill`) or averaged (a price)."""
    words = [matcher.word for matcher in column.words]
    return "sum" if words and (words[-1] in _ADDITIVE_WORDS or words[0] in ("total", "sum")) else "avg"


def is_comparison_after(state: PlanState, i: int) -> bool:
    """`higher ... than`: the word at i compares with something that follows; it is no superlative."""
    cursor = state.cursor
    k = cursor.next_index(i, skip=("column", "stop", "filler"))
    return k is not None and cursor.mentions[k].low == "than"


def superlative_limit(state: PlanState) -> int | None:
    """How many rows a superlative keeps: the number said with it, one, or all when it only sorts."""
    return None if state.ordering_only else state.pending_limit or 1


def comparison_operator(state: PlanState, i: int, *, column_between: bool = False) -> str | None:
    """`greater than`, `higher than`, and with `column_between`, `a higher life expectancy than`."""
    cursor = state.cursor
    mention = cursor.mentions[i]
    if mention.has("cmp") and mention.payload("cmp") in NEGATED:
        return mention.payload("cmp")
    k = i + 1
    if column_between:
        while (
            k < len(cursor.mentions)
            and cursor.mentions[k].kind in ("column", "stop", "filler")
            and cursor.mentions[k].low != "than"
        ):
            k += 1
    following = cursor.at(k)
    if mention.has("sup") and following is not None and following.low == "than":
        return ">" if mention.payload("sup") == "desc" else "<"  # "higher than"
    return None


def prefer_mentioned(state: PlanState, columns: list[ColumnRef]) -> ColumnRef:
    """The candidate the question names (marking that mention used), else the first candidate."""
    cursor = state.cursor
    for mention in cursor.mentions:
        if mention.kind == "column" and not mention.used:
            for column in mention.columns:
                if column in columns:
                    mention.used = True
                    return column
    return columns[0]


def looks_like_year(number: float) -> bool:
    """`in 2007`: a whole number a calendar year could be."""
    return number == int(number) and 1000 <= number <= 2200


def negated_before(state: PlanState, i: int) -> bool:
    """`not`/`other than` said shortly before i (and taken), within the same phrase."""
    cursor = state.cursor
    k = i - 1
    steps = 0
    while k >= 0 and steps < 4:
        mention = cursor.mentions[k]
        if mention.kind == "kw" and not mention.used and (mention.has("neg") or mention.payload("cmp") == "!="):
            mention.used = True
            return True
        if mention.kind in ("value", "number") or (mention.kind == "kw" and (mention.has("and") or mention.has("or"))):
            return False
        if mention.kind not in ("stop", "filler", "punct"):
            steps += 1
        k -= 1
    return False


def add_condition(state: PlanState, cond: Cond, *, join_previous: bool = False) -> None:
    """Adds to WHERE: OR-ed with the previous condition (`join_previous`) or with the equalities on
    the same column, otherwise AND-ed as a new group."""
    if join_previous and state.plan.where:
        state.plan.where[-1].append(cond)
        return
    if cond.op == "=":
        for group in state.plan.where:
            if all(c.op == "=" and c.expr.key() == cond.expr.key() and c.year_of == cond.year_of for c in group):
                group.append(cond)  # "seasons 2006 and 2007": one column cannot equal both
                return
    state.plan.where.append([cond])


def count_expr(state: PlanState) -> Expr:
    """What `how many` adds up: the rows, or a column that already holds counts."""
    counts = [c for c in state.schema.columns if c.numeric and c.name.strip().lower() in _COUNT_COLUMN_NAMES]
    return Expr(counts[0], "sum") if counts and not state.rows_counted else COUNT_ROWS


def first_numeric_column(mention: Mention) -> ColumnRef:
    """The mention's best number or date column, else its best column."""
    ranked = [c for c in mention.columns if c.numeric or c.temporal] or mention.columns
    return ranked[0]
