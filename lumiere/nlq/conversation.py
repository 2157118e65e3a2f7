"""A built-in answer's plan kept between turns of a conversation: written as JSON (the turn's
`reading`), read back against the table, and told as a standalone question.

Only plans that a follow-up can change piece by piece are kept in full (shown columns and
measures, AND of OR-conditions on values, groups, order, limit); a difference, a share or a row
compared with another is kept as its question alone, so a follow-up on it is asked back rather
than guessed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lumiere.nlq.plan import Cond, Expr, Plan
from lumiere.nlq.schema import SchemaIndex

READING_VERSION = 1
_AGG_WORDS = {
    "count": "number of",
    "avg": "average",
    "sum": "total",
    "min": "minimum",
    "max": "maximum",
    "median": "median",
    "stddev": "standard deviation of",
}
_OP_WORDS = {"=": "is", "!=": "is not", ">": "over", "<": "under", ">=": "at least", "<=": "at most"}


def refinable(plan: Plan) -> bool:
    """A plan a follow-up can change piece by piece (see the module docstring)."""
    if plan.share or plan.difference or plan.correlation or plan.row_comparison or plan.position:
        return False
    if plan.file_order or plan.top_per_group:
        return False
    if plan.answer != "rows" or plan.having:
        return False
    exprs = [*plan.select, *plan.group, *(e for e, _ in plan.order)]
    if any(e.column is None and e.agg != "count" for e in exprs):
        return False
    conds = [c for group in plan.where for c in group]
    return all(c.other is None and c.expr.column is not None and c.op in _OP_WORDS | {"between": ""} for c in conds)


def reading_of(plan: Plan, schema: SchemaIndex, question: str) -> dict[str, Any]:
    """The turn's reading: the question and, when refinable, the plan in plain JSON."""
    return {
        "version": READING_VERSION,
        "question": question,
        "table": schema.table.name,
        "plan": _plan_json(plan) if refinable(plan) else None,
    }


def _expr_json(expr: Expr) -> dict[str, Any]:
    return {
        "column": expr.column.name if expr.column else None,
        "agg": expr.agg,
        "distinct": expr.distinct,
        "bucket": expr.bucket,
    }


def _value_json(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def _plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "select": [_expr_json(e) for e in plan.select],
        "star": plan.star,
        "distinct": plan.distinct,
        "where": [
            [
                {
                    "expr": _expr_json(c.expr),
                    "op": c.op,
                    "values": [_value_json(v) for v in c.values],
                    "year_of": c.year_of,
                }
                for c in group
            ]
            for group in plan.where
        ],
        "group": [_expr_json(e) for e in plan.group],
        "order": [[_expr_json(e), descending] for e, descending in plan.order],
        "limit": plan.limit,
    }


def plan_from_reading(reading: dict[str, Any] | None, schema: SchemaIndex) -> Plan | None:
    """The plan back from a reading, or None when there is none or it names a column the table
    no longer has."""
    if not reading or reading.get("version") != READING_VERSION or not reading.get("plan"):
        return None
    if reading.get("table") != schema.table.name:
        return None
    data = reading["plan"]
    try:
        return Plan(
            select=[_expr(e, schema) for e in data["select"]],
            star=bool(data["star"]),
            distinct=bool(data["distinct"]),
            where=[
                [Cond(_expr(c["expr"], schema), c["op"], list(c["values"]), bool(c["year_of"])) for c in group]
                for group in data["where"]
            ],
            group=[_expr(e, schema) for e in data["group"]],
            order=[(_expr(e, schema), bool(descending)) for e, descending in data["order"]],
            limit=data["limit"],
        )
    except (KeyError, StopIteration, TypeError, ValueError):
        return None


def _expr(data: dict[str, Any], schema: SchemaIndex) -> Expr:
    column = schema.column(data["column"]) if data["column"] is not None else None
    return Expr(column, data["agg"], bool(data["distinct"]), data["bucket"])


def default_order(plan: Plan) -> list[tuple[Expr, bool]]:
    """As the planner orders grouped answers: natural order for time and numbers, else by the
    first measure, largest first, ties broken by the keys."""
    if not plan.group:
        return []
    keys = [(g, False) for g in plan.group]
    first = plan.group[0]
    ordered_domain = first.bucket is not None or (
        first.column is not None and (first.column.temporal or first.column.yearish or first.column.numeric)
    )
    measures = [e for e in plan.select if e.agg]
    if ordered_domain or not measures:
        return keys
    return [(measures[0], True), *keys]


def same_order(a: list[tuple[Expr, bool]], b: list[tuple[Expr, bool]]) -> bool:
    return [(e.key(), d) for e, d in a] == [(e.key(), d) for e, d in b]


# --------------------------------------------------------------------------- the question in words
def expr_words(expr: Expr) -> str:
    if expr.column is None:
        return "number of rows"
    name = expr.column.name
    if expr.bucket:
        name = f"{expr.bucket} of {name}" if expr.bucket != expr.column.name.lower() else name
    if expr.agg:
        return f"{_AGG_WORDS.get(expr.agg, expr.agg)} {'distinct ' if expr.distinct else ''}{name}"
    return name


def _value_words(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def cond_words(cond: Cond) -> str:
    subject = f"year of {expr_words(cond.expr)}" if cond.year_of else expr_words(cond.expr)
    if cond.op == "between":
        low, high = sorted(cond.values[:2])
        return f"{subject} between {_value_words(low)} and {_value_words(high)}"
    values = " or ".join(_value_words(v) for v in cond.values)
    return f"{subject} {_OP_WORDS.get(cond.op, cond.op)} {values}"


def question_of(plan: Plan, table: str) -> str:
    """The plan as a readable standalone question: "average tip by day where smoker is yes"."""
    groups = {e.key() for e in plan.group}
    shown = [e for e in plan.select if e.key() not in groups]
    extreme = plan.order[0][0] if plan.limit == 1 and plan.order and plan.order[0][0].agg is None else None
    if extreme is not None and not plan.group:
        shown = [e for e in shown if e.key() != extreme.key()] or shown
    if plan.star:
        text = f"{table} rows"
    else:
        text = ", ".join(expr_words(e) for e in shown) or ", ".join(expr_words(e) for e in plan.select)
        if plan.distinct and not plan.group:
            text = f"distinct {text}"
    if plan.group:
        text += " by " + " and ".join(expr_words(e) for e in plan.group)
    conditions = [" or ".join(cond_words(c) for c in group) for group in plan.where]
    if conditions:
        text += " where " + " and ".join(conditions)
    if plan.order and plan.limit == 1 and extreme is not None:
        text = f"{text} with the {'highest' if plan.order[0][1] else 'lowest'} {expr_words(extreme)}"
    elif plan.order and plan.limit is not None:
        first, descending = plan.order[0]
        text += f", {'top' if descending else 'bottom'} {plan.limit} by {expr_words(first)}"
    elif plan.order and not same_order(plan.order, default_order(plan)):
        first, descending = plan.order[0]
        text += f", sorted by {expr_words(first)} {'descending' if descending else 'ascending'}"
    elif plan.limit is not None:
        text += f", first {plan.limit}"
    return text
