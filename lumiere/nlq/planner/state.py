"""What the passes share while they read a question: the plan being built and the findings one
pass leaves for a later one (a limit said before its superlative, a count asked for, ...)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lumiere.nlq.lexicon import Token
from lumiere.nlq.plan import Expr, Plan
from lumiere.nlq.planner.cursor import Cursor
from lumiere.nlq.schema import ColumnRef, SchemaIndex


@dataclass
class PlanState:
    cursor: Cursor
    schema: SchemaIndex
    tokens: list[Token]
    summary_rows: list[tuple[ColumnRef, Any]]  # ("Nation", "Total"): rows that sum up the others
    plan: Plan = field(default_factory=Plan)
    # "top 5", "the 3 largest": how many rows the superlative read later keeps
    pending_limit: int | None = None
    # "top 5" (descending) or "bottom 5": the order for that limit when no superlative gives one
    pending_descending: bool | None = None
    # (descending, measure): groups ranked by an aggregate ("the most common", "which continent
    # has the largest population"); the finishing pass turns it into GROUP BY and ORDER BY
    rank_groups_by: tuple[bool, Expr] | None = None
    group_all: bool = False  # "... and how many correspond to each": every shown column is a group
    count_requested: bool = False  # "how many": the answer shows a count
    rows_counted: bool = False  # "how many rows": the rows, even when a column holds counts
    trend: bool = False  # a trend question: shown measures are aggregated per period
    ordering_only: bool = False  # "most populous first": a superlative that sorts, keeping every row
    asked_value: ColumnRef | None = None  # "what is the first year?": that column is the answer
    # group keys the question asked for in words ("for each day", "per month"), by Expr.key()
    explicit_groups: set[tuple] = field(default_factory=set)
    per_group_said: bool = False  # "for each", "per", "in every": the answer has one row per group
    # "the most powerful car from each origin": the extreme picks a row of each group, by its name
    row_per_group_asked: bool = False
