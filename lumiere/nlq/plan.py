"""What the planner produces: a query plan (columns shown, conditions, groups, order, limit, and
the special answers: a difference, a yes/no, a choice, a row compared with a named one).

The renderer turns a plan into a sqlglot tree; nothing here knows about the question's words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lumiere.nlq.schema import ColumnRef


@dataclass(frozen=True)
class Expr:
    column: ColumnRef | None  # None: the rows themselves (COUNT(*))
    agg: str | None = None
    distinct: bool = False
    bucket: str | None = None  # year | month | week | day | quarter: a date cut to that unit

    def key(self) -> tuple:
        return (self.column.name if self.column else None, self.agg, self.distinct, self.bucket)


@dataclass(frozen=True)
class MonthOfYear:
    """`in July` over a date column: a value that stands for month 7 of every year."""

    number: int
    name: str

    def __str__(self) -> str:
        return self.name


COUNT_ROWS = Expr(None, "count")
# "sorted alphabetically" names no column: resolved to what the answer shows once it is known.
ORDER_BY_SHOWN = Expr(None, "shown")
# "in descending order" names no column either: the measure the answer shows, if it shows one.
ORDER_BY_SHOWN_MEASURE = Expr(None, "shown measure")


@dataclass
class Cond:
    expr: Expr
    op: str  # = != > < >= <= between like notlike empty missing present extreme distinct (null-safe !=)
    values: list[Any]
    year_of: bool = False  # compare the year of a date column
    other: Expr | None = None  # compared with another column of the same row instead of a value


@dataclass
class Side:
    """One side of a difference or a comparison: a measure over the rows a condition keeps."""

    measure: Expr  # an aggregate (or COUNT_ROWS); a plain column for a row's own difference
    conditions: list[Cond] = field(default_factory=list)
    label: Any = None  # the stored value that names this side, for "which of A or B"


@dataclass
class RowComparison:
    """`the same laps as X`, `a higher life expectancy than X`: rows whose measure compares with
    that of the named row (X itself left out)."""

    anchor: Cond  # the named row
    measure: Expr
    op: str  # = > <

    def anchor_filters(self, plan: Plan) -> list[Cond]:
        """The question's time conditions apply to the named row too (`than France in 2007`)."""
        return [
            cond
            for group in plan.where
            if len(group) == 1
            for cond in group
            if cond.expr.column is not None and (cond.expr.column.temporal or cond.expr.column.yearish or cond.year_of)
        ]


@dataclass
class Difference:
    first: Side
    second: Side
    # abs | more | less: |a - b|, a - b, b - a; change | drop: later minus earlier, earlier minus
    # later (over time, `first` is the later side)
    mode: str
    per_row: bool = False  # "difference between sepal length and sepal width": row by row
    as_percent: bool = False  # "by what percent did it grow": the change over the earlier side
    # "which continent grew the most", "countries whose life expectancy dropped": one change per
    # value of `label`, ranked (desc | asc, `Plan.limit` kept), or only the labels where it happened
    label: ColumnRef | None = None
    ranked: str | None = None
    only_where_it_happened: bool = False

    @property
    def over_time(self) -> bool:
        return self.mode in ("change", "drop")

    @property
    def column_name(self) -> str:
        return "percent_change" if self.as_percent else "difference"


@dataclass
class Correlation:
    """`the correlation between sepal length and petal length`: Pearson's r of two number columns,
    over the rows kept (and per group when the question asks for one)."""

    first: ColumnRef
    second: ColumnRef


@dataclass
class TopPerGroup:
    """`the country with the highest life expectancy in each continent`, `the 2 biggest tips for each
    day`: the `count` best rows of each partition by `ranked_by` (ties kept), instead of one row per group."""

    partition: list[Expr]
    ranked_by: Expr
    descending: bool
    count: int


@dataclass(frozen=True)
class Derived:
    """`temp_max minus temp_min`, `brain weight divided by body weight`: a number worked out on each
    row from two columns, offered to the rest of the plan as one more column (`column`) that the
    rendered query adds to the table it reads."""

    column: ColumnRef
    op: str  # - | + | * | / | % (the left as a percentage of the right)
    left: ColumnRef
    right: ColumnRef


@dataclass
class Plan:
    select: list[Expr] = field(default_factory=list)
    star: bool = False
    where: list[list[Cond]] = field(default_factory=list)  # AND of OR-groups
    group: list[Expr] = field(default_factory=list)
    having: list[Cond] = field(default_factory=list)
    order: list[tuple[Expr, bool]] = field(default_factory=list)  # (expr, descending)
    limit: int | None = None
    distinct: bool = False
    share: bool = False  # percentage of the total per group (or of rows matching the filter)
    share_measure: ColumnRef | None = None
    share_filter: list[list[Cond]] = field(default_factory=list)
    share_ranked: bool | None = None  # "the highest survival rate": groups by their share (True: high first)
    # "the episode after X": the row next to the first row matching the condition, in file order
    position: tuple[Cond, int] | None = None
    file_order: tuple[bool, int] | None = None  # (from the end, how many): rows as the file lists them
    difference: Difference | None = None
    correlation: Correlation | None = None
    # how the answer is given: rows | yes_no (one row saying yes or no) | choice (which of two values)
    answer: str = "rows"
    count_beside: bool = False  # "are there any ...": how many rows match, next to yes or no
    row_comparison: RowComparison | None = None
    top_per_group: TopPerGroup | None = None
    notes: list[str] = field(default_factory=list)
    derived: list[Derived] = field(default_factory=list)

    def add_select(self, expr: Expr) -> None:
        if all(existing.key() != expr.key() for existing in self.select):
            self.select.append(expr)


class Unplaced(Exception):
    """Parts of the question the planner could not use; the engine turns this into CannotAnswer."""

    def __init__(self, words: list[str], reason: str = "") -> None:
        super().__init__(reason or ", ".join(words))
        self.words = words
        self.reason = reason
