"""A plan becomes a sqlglot tree, rendered in the source's dialect; plus a one-line explanation."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, cast

from sqlglot import exp

from lumiere.nlq.plan import (
    Cond,
    Correlation,
    Derived,
    Difference,
    Expr,
    MonthOfYear,
    Plan,
    RowComparison,
    Side,
    TopPerGroup,
)
from lumiere.nlq.schema import ColumnRef, SchemaIndex

_AGG_NODES = {
    "avg": exp.Avg,
    "sum": exp.Sum,
    "min": exp.Min,
    "max": exp.Max,
    "median": exp.Median,
    "stddev": exp.Stddev,
}
_AGG_WORDS = {
    "count": "number",
    "avg": "average",
    "sum": "total",
    "min": "minimum",
    "max": "maximum",
    "median": "median",
    "stddev": "standard deviation",
}
_OPS = {"=": exp.EQ, "!=": exp.NEQ, ">": exp.GT, "<": exp.LT, ">=": exp.GTE, "<=": exp.LTE}
_OP_WORDS = {
    "=": "is",
    "!=": "is not",
    ">": "is over",
    "<": "is under",
    ">=": "is at least",
    "<=": "is at most",
    "between": "is between",
    "like": "matches",
    "notlike": "does not match",
    "empty": "is empty",
    "missing": "is missing",
    "present": "is known",
    "distinct": "is not",
}
_EXTREME_WORDS = {"max": ("the highest", "the latest"), "min": ("the lowest", "the earliest")}


def column_node(name: str) -> exp.Column:
    return exp.column(exp.to_identifier(name, quoted=True))


def alias_for(expr: Expr) -> str | None:
    if expr.column is None:
        return "count" if expr.agg == "count" else None
    base = re.sub(r"[^0-9a-z]+", "_", expr.column.name.lower()).strip("_") or "value"
    if expr.bucket:
        return f"{expr.bucket}"
    if expr.agg == "count":
        return f"count_distinct_{base}" if expr.distinct else f"count_{base}"
    if expr.agg:
        return f"{expr.agg}_{base}"
    return None


def _key_name(expr: Expr) -> str:
    """The name a group key's column is shown under: its alias, else the column's own name."""
    alias = alias_for(expr)
    if alias:
        return alias
    assert expr.column is not None  # a group key is a column (only COUNT(*) has none, and it has an alias)
    return expr.column.name


# The number a text cell starts with, after dropping thousands separators: "$1,200" -> 1200,
# "3,880 days" -> 3880, "12[a]" -> 12. Other servers have no capture group: no currency sign.
_THOUSANDS_SEPARATORS = (",", " ", "\u00a0", "\u2009", "\u202f")
_LEADING_NUMBER = "^ *[$€£]?([-+]?[0-9]*[.]?[0-9]+)"
_PLAIN_LEADING_NUMBER = "^ *[-+]?[0-9]*[.]?[0-9]+"


def measure_node(column: ColumnRef) -> exp.Expr:
    """The column as a number: text cells holding numbers give that number, others NULL."""
    node = column_node(column.name)
    if not column.numeric_text:
        return node
    digits: exp.Expr = node
    for separator in _THOUSANDS_SEPARATORS:
        digits = exp.Replace(this=digits, expression=exp.Literal.string(separator), replacement=exp.Literal.string(""))
    number = exp.RegexpExtract(this=digits, expression=exp.Literal.string(_LEADING_NUMBER), group=exp.Literal.number(1))
    return exp.TryCast(this=exp.Nullif(this=number, expression=exp.Literal.string("")), to=exp.DataType.build("DOUBLE"))


_EXTREMES = {"max": exp.ArgMax, "min": exp.ArgMin}


def _portable(node: exp.Expr) -> exp.Expr:
    """PostgreSQL and MySQL spell REGEXP_EXTRACT as REGEXP_SUBSTR, without a capture group, and
    have no ARG_MAX: there the largest number itself is shown."""
    if isinstance(node, exp.RegexpExtract):
        return exp.RegexpSubstr(this=node.this, expression=exp.Literal.string(_PLAIN_LEADING_NUMBER))
    if isinstance(node, exp.ArgMax | exp.ArgMin):
        plain = exp.Max if isinstance(node, exp.ArgMax) else exp.Min
        return plain(this=node.expression)
    return node


def expr_node(expr: Expr) -> exp.Expr:
    if expr.column is None:
        return exp.Count(this=exp.Star())
    node: exp.Expr = column_node(expr.column.name)
    if expr.agg in _AGG_NODES:
        node = measure_node(expr.column)
    if expr.bucket == "year" or (expr.bucket and expr.column.kind == "date" and expr.bucket == "year"):
        node = exp.Year(this=node)
    elif expr.bucket:
        node = exp.DateTrunc(this=node, unit=exp.var(expr.bucket.upper()))
    if expr.agg == "count":
        inner = exp.Distinct(expressions=[node]) if expr.distinct else node
        return exp.Count(this=inner)
    if expr.agg in _EXTREMES and expr.column.numeric_text and not expr.bucket:
        # the cell as stored ("44.7%", "8,000*") whose number is the largest or smallest
        return _EXTREMES[expr.agg](this=column_node(expr.column.name), expression=node)
    if expr.agg:
        return _AGG_NODES[expr.agg](this=node)
    return node


def _literal(value: Any) -> exp.Expr:
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        number = int(value) if float(value).is_integer() else value
        return exp.Literal.number(number)
    return exp.Literal.string(str(value))


_WHOLE_TABLE = "lumiere_whole_table"


def cond_node(cond: Cond) -> exp.Expr:
    if cond.other is not None and cond.expr.column is not None and cond.other.column is not None:
        left, right = cond.expr.column, cond.other.column
        numeric = left.numeric and right.numeric
        return _OPS[cond.op](
            this=measure_node(left) if numeric else column_node(left.name),
            expression=measure_node(right) if numeric else column_node(right.name),
        )
    target = expr_node(cond.expr)
    if cond.year_of and cond.expr.column is not None and cond.expr.agg is None:
        target = exp.Year(this=column_node(cond.expr.column.name))
    months = [v for v in cond.values if isinstance(v, MonthOfYear)]
    if months and cond.expr.column is not None and cond.op in ("=", "!="):
        month_of = exp.Month(this=column_node(cond.expr.column.name))
        tests = [_OPS[cond.op](this=month_of.copy(), expression=exp.Literal.number(m.number)) for m in months]
        return tests[0] if len(tests) == 1 else exp.Paren(this=exp.or_(*tests))
    if cond.op == "between":
        low, high = sorted(cond.values[:2])
        if cond.expr.column is not None and cond.expr.agg is None and cond.expr.column.numeric_text:
            target = measure_node(cond.expr.column)
        return exp.Between(this=target, low=_literal(low), high=_literal(high))
    if cond.op == "empty" and cond.expr.column is not None:
        column = cond.expr.column
        if column.numeric:  # numbers stored as text ("*7*", "0") are read as numbers too
            blank: exp.Expr = exp.EQ(this=measure_node(column), expression=exp.Literal.number(0))
        else:
            blank = exp.EQ(this=exp.Trim(this=column_node(column.name)), expression=exp.Literal.string(""))
        return exp.Paren(this=exp.Or(this=exp.Is(this=target, expression=exp.Null()), expression=blank))
    if cond.op == "missing" and cond.expr.column is not None:
        # "missing" is no value at all: a zero is a value (unlike "no laps led" above)
        missing: exp.Expr = exp.Is(this=target, expression=exp.Null())
        if cond.expr.column.text:
            trimmed = exp.Trim(this=column_node(cond.expr.column.name))
            blank_text = exp.EQ(this=trimmed, expression=exp.Literal.string(""))
            missing = exp.Paren(this=exp.Or(this=missing, expression=blank_text))
        return missing
    if cond.op == "present" and cond.expr.column is not None:
        # "leaving out animals whose diet is unknown": the rows that do have a value
        known: exp.Expr = exp.Not(this=exp.Is(this=target, expression=exp.Null()))
        if cond.expr.column.text:
            filled = exp.NEQ(this=exp.Trim(this=column_node(cond.expr.column.name)), expression=exp.Literal.string(""))
            known = exp.And(this=known, expression=filled)
        return known
    if cond.op == "extreme" and cond.expr.column is not None:
        # "at the highest dose": the rows whose value is the column's largest in the whole table
        pick = exp.Max if cond.values[0] == "max" else exp.Min
        table = exp.Table(this=exp.to_identifier(cond.expr.column.table, quoted=True))
        table.meta[_WHOLE_TABLE] = True  # `_build` reads it with the numbers worked out per row, if any
        best = exp.select(pick(this=target.copy())).from_(table)
        return exp.EQ(this=target, expression=exp.Subquery(this=best))
    if cond.op == "distinct":
        return exp.NullSafeNEQ(this=target, expression=_literal(cond.values[0]))
    if cond.op in ("like", "notlike"):
        node = exp.ILike(this=target, expression=exp.Literal.string(str(cond.values[0])))
        return exp.Not(this=node) if cond.op == "notlike" else node
    values = [_comparable(cond, v) for v in cond.values]
    if (
        cond.expr.column is not None
        and cond.expr.agg is None
        and cond.expr.column.numeric_text
        and _is_number(cond.values[0])
    ):
        target = measure_node(cond.expr.column)
        values = [_literal(v) for v in cond.values]
    return _OPS[cond.op](this=target, expression=values[0])


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _comparable(cond: Cond, value: Any) -> exp.Expr:
    column = cond.expr.column
    if (
        column is not None
        and cond.expr.agg is None
        and column.text
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ):
        # numbers stored as text compare as text written the way they are stored
        text = str(int(value)) if float(value).is_integer() else str(value)
        return exp.Literal.string(text)
    return _literal(value)


def _or_group(group: list[Cond]) -> exp.Expr:
    nodes = [cond_node(c) for c in group]
    if len(nodes) == 1:
        return nodes[0]
    combined = nodes[0]
    for node in nodes[1:]:
        combined = exp.Or(this=combined, expression=node)
    return exp.Paren(this=combined)


def _and_all(groups: list[list[Cond]]) -> exp.Expr | None:
    nodes = [_or_group(g) for g in groups if g]
    if not nodes:
        return None
    combined = nodes[0]
    for node in nodes[1:]:
        combined = exp.And(this=combined, expression=node)
    return combined


def build_tree(plan: Plan, schema: SchemaIndex, dialect: str = "duckdb") -> exp.Select:
    tree = _build(plan, schema)
    # `_portable` rewrites function nodes inside the query, never the SELECT at its root.
    return tree if dialect == "duckdb" else cast(exp.Select, tree.transform(_portable))


def _build(plan: Plan, schema: SchemaIndex) -> exp.Select:
    tree = _build_from(plan, schema, _source(plan, schema))
    if plan.derived:  # "at the highest total_bill minus tip": the whole table has that number too
        for whole in [t for t in tree.find_all(exp.Table) if t.meta.get(_WHOLE_TABLE)]:
            whole.replace(_source(plan, schema))
    return tree


def _build_from(plan: Plan, schema: SchemaIndex, table: exp.Expr) -> exp.Select:
    if plan.share:
        return _share_tree(plan, table)
    if plan.difference is not None:
        return _difference_tree(plan, plan.difference, table, schema)
    if plan.correlation is not None:
        return _correlation_tree(plan, plan.correlation, table)
    if plan.answer == "yes_no":
        return _yes_no_tree(plan, schema, table)
    if plan.top_per_group is not None:
        return _top_per_group_tree(plan, plan.top_per_group, schema, table)
    return _rows_tree(plan, schema, table)


def _source(plan: Plan, schema: SchemaIndex) -> exp.Expr:
    """The table, with the numbers the question works out on each row added under its own name."""
    table = exp.Table(this=exp.to_identifier(schema.table.name, quoted=True))
    if not plan.derived:
        return table
    worked_out = [exp.alias_(_derived_node(d), d.column.name, quoted=True) for d in plan.derived]
    return exp.select(exp.Star(), *worked_out).from_(table).subquery(exp.to_identifier(schema.table.name, quoted=True))


def _derived_node(derived: Derived) -> exp.Expr:
    left, right = measure_node(derived.left), measure_node(derived.right)
    if derived.op in ("/", "%"):  # never integer division, and no error on a zero
        ratio = exp.Div(this=exp.Cast(this=left, to=exp.DataType.build("DOUBLE")),
                        expression=exp.Nullif(this=right, expression=exp.Literal.number(0)))
        return exp.Mul(this=ratio, expression=exp.Literal.number(100)) if derived.op == "%" else ratio
    operation = {"-": exp.Sub, "+": exp.Add, "*": exp.Mul}[derived.op]
    return operation(this=left, expression=right)


_RANK = "rank_in_group"


def _output_name(expr: Expr) -> str:
    return alias_for(expr) or (expr.column.name if expr.column is not None else "count")


def _top_per_group_tree(plan: Plan, top: TopPerGroup, schema: SchemaIndex, table: exp.Expr) -> exp.Select:
    """The rows (or groups) ranked within each partition by a window, the best `count` of each kept:
    RANK() so that ties stay, NULLs ranked last, one portable query (DuckDB, PostgreSQL, MySQL 8)."""
    inner = _rows_tree(replace(plan, order=[], limit=None, top_per_group=None), schema, table)
    column = top.ranked_by.column
    ranked = measure_node(column) if column is not None and _by_number(top.ranked_by) else expr_node(top.ranked_by)
    window = exp.Window(
        this=exp.Anonymous(this="RANK", expressions=[]),
        partition_by=[expr_node(g) for g in top.partition],
        order=exp.Order(expressions=[exp.Ordered(this=ranked, desc=top.descending, nulls_first=False)]),
    )
    inner = inner.select(exp.alias_(window, _RANK, quoted=True), append=True)
    names = [_output_name(e) for e in plan.select]
    partition_names = [_output_name(g) for g in top.partition]
    ranked_name = _output_name(top.ranked_by)
    outer = (
        exp.select(*[column_node(name) for name in names])
        .from_(inner.subquery("ranked"))
        .where(exp.LTE(this=column_node(_RANK), expression=exp.Literal.number(top.count)))
    )
    order = [exp.Ordered(this=column_node(name), desc=False) for name in partition_names]
    order.append(exp.Ordered(this=column_node(_RANK), desc=False))
    order += [
        exp.Ordered(this=column_node(name), desc=False)
        for name in names
        if name not in partition_names and name != ranked_name
    ]
    return outer.order_by(*order)


def _by_number(expr: Expr) -> bool:
    """A plain text column of numbers ranks by the number each cell starts with."""
    return expr.agg is None and expr.column is not None and expr.column.numeric_text


def _rows_tree(plan: Plan, schema: SchemaIndex, table: exp.Expr) -> exp.Select:
    projections: list[exp.Expr] = []
    if plan.star:
        projections.append(exp.Star())
    for expr in plan.select:
        node = expr_node(expr)
        alias = alias_for(expr)
        projections.append(exp.alias_(node, alias, quoted=True) if alias else node)
    select = exp.select(*projections).from_(table)
    if plan.distinct and not plan.group:
        select = select.distinct()
    where = _and_all(plan.where)
    if plan.position is not None:
        anchor, offset = plan.position
        row_number = exp.column("rowid")
        anchor_row = exp.select(row_number.copy()).from_(table.copy()).where(cond_node(anchor)).limit(1)
        step = exp.Add if offset > 0 else exp.Sub
        moved = step(this=exp.Subquery(this=anchor_row), expression=exp.Literal.number(abs(offset)))
        beside = exp.EQ(this=row_number.copy(), expression=moved)
        where = beside if where is None else exp.And(this=where, expression=beside)
    if plan.row_comparison is not None:
        compared = _row_comparison_condition(plan.row_comparison, plan, table)
        where = compared if where is None else exp.And(this=where, expression=compared)
    if where is not None:
        select = select.where(where)
    if plan.group:
        select = select.group_by(*[expr_node(g) for g in plan.group])
    if plan.having:
        select = select.having(_and_all([[h] for h in plan.having]))
    shown = {e.key() for e in plan.select}
    column_names = {c.name.lower() for c in schema.columns}
    for expr, descending in plan.order:
        node = expr_node(expr)
        alias = alias_for(expr)
        if expr.agg in _EXTREMES and expr.column is not None and expr.column.numeric_text:
            node = _AGG_NODES[expr.agg](this=measure_node(expr.column))  # by the number, not the text shown
        elif expr.agg and alias and expr.key() in shown and alias.lower() not in column_names:
            node = exp.column(exp.to_identifier(alias, quoted=True))  # the measure as it is shown
        elif expr.column is not None and _by_number(expr):
            node = measure_node(expr.column)
        ordered = exp.Ordered(this=node, desc=descending, nulls_first=False)
        select = select.order_by(ordered)
    if plan.file_order is not None:
        from_end, count = plan.file_order
        select = select.order_by(exp.Ordered(this=exp.column("rowid"), desc=from_end)).limit(count)
    if plan.limit is not None:
        select = select.limit(plan.limit)
    return select


_COMPARISON_NODES = {"=": exp.EQ, ">": exp.GT, "<": exp.LT}


def _row_comparison_condition(comparison: RowComparison, plan: Plan, table: exp.Expr) -> exp.Expr:
    """The rows whose measure compares with that of the named row, the named row left out."""
    anchor, measure = comparison.anchor, comparison.measure
    assert measure.column is not None and anchor.expr.column is not None
    kept = _and_all([[anchor], *([cond] for cond in comparison.anchor_filters(plan))])
    anchor_value = exp.select(measure_node(measure.column)).from_(table.copy()).where(kept).limit(1)
    compared = _COMPARISON_NODES[comparison.op](
        this=measure_node(measure.column), expression=exp.Subquery(this=anchor_value)
    )
    other_rows = exp.NullSafeNEQ(this=column_node(anchor.expr.column.name), expression=_literal(anchor.values[0]))
    return exp.And(this=compared, expression=other_rows)


def _side_node(side: Side) -> exp.Expr:
    """One side's number: its aggregate over the rows its conditions keep (one scan, no subquery)."""
    measure = side.measure
    if not side.conditions:
        if measure.agg:
            return expr_node(measure)
        assert measure.column is not None  # a measure without an aggregate is a column's numbers
        return measure_node(measure.column)
    kept = _and_all([[c] for c in side.conditions])
    if measure.column is None:  # rows counted
        return exp.Sum(
            this=exp.Case(ifs=[exp.If(this=kept, true=exp.Literal.number(1))], default=exp.Literal.number(0))
        )
    value = measure_node(measure.column)
    picked = exp.Case(ifs=[exp.If(this=kept, true=value)])
    if measure.agg == "count":
        return exp.Count(this=picked)
    return _AGG_NODES[measure.agg or "avg"](this=picked)


def _difference_tree(plan: Plan, difference: Difference, table: exp.Expr, schema: SchemaIndex) -> exp.Select:
    first, second = _side_node(difference.first), _side_node(difference.second)
    earlier = second.copy()  # over time, the second side is the earlier one
    if difference.mode in ("less", "drop"):
        first, second = second, first
    if plan.answer == "choice":
        labels = (difference.first.label, difference.second.label)  # with "less" the sides swapped above
        answer = exp.Case(
            ifs=[
                exp.If(this=exp.GT(this=first.copy(), expression=second.copy()), true=_literal(labels[0])),
                exp.If(this=exp.LT(this=first, expression=second), true=_literal(labels[1])),
            ]
        )
        projections = [exp.alias_(answer, "answer", quoted=True)]
    elif plan.answer == "yes_no":
        answer = exp.Case(
            ifs=[exp.If(this=exp.GT(this=first, expression=second), true=exp.Literal.string("yes"))],
            default=exp.Literal.string("no"),
        )
        projections = [exp.alias_(answer, "answer", quoted=True)]
    else:
        gap: exp.Expr = exp.Sub(this=first, expression=second)
        if difference.mode == "abs":
            gap = exp.Abs(this=gap)
        if difference.as_percent:
            base = exp.Nullif(this=earlier, expression=exp.Literal.number(0))
            gap = exp.Div(this=exp.Mul(this=exp.Literal.number(100.0), expression=exp.Paren(this=gap)), expression=base)
        if difference.label is not None:
            return _change_per_label(plan, difference, gap, table)
        projections = [exp.alias_(gap, difference.column_name, quoted=True)]
        if difference.per_row and schema.display_is_identifier:
            projections.insert(0, column_node(schema.display_column.name))
    select = exp.select(*projections).from_(table)
    where = _and_all(plan.where)
    return select.where(where) if where is not None else select


def _correlation_tree(plan: Plan, correlation: Correlation, table: exp.Expr) -> exp.Select:
    """Pearson's r of two columns, per group when the question asks for groups."""
    r = exp.Corr(this=measure_node(correlation.first), expression=measure_node(correlation.second))
    keys = [exp.alias_(expr_node(g), alias_for(g), quoted=True) if alias_for(g) else expr_node(g) for g in plan.group]
    select = exp.select(*keys, exp.alias_(r, "correlation", quoted=True)).from_(table)
    where = _and_all(plan.where)
    if where is not None:
        select = select.where(where)
    if plan.group:
        groups = [expr_node(g) for g in plan.group]
        select = select.group_by(*groups).order_by(*(group.copy() for group in groups))
    return select


def _change_per_label(plan: Plan, difference: Difference, gap: exp.Expr, table: exp.Expr) -> exp.Select:
    """One change per label: ranked and cut to the limit, or only the labels where it happened
    (above zero); a label missing either year has no change and is left out."""
    assert difference.label is not None
    key = column_node(difference.label.name)
    name = difference.column_name
    select = exp.select(key, exp.alias_(gap, name, quoted=True)).from_(table).group_by(key.copy())
    where = _and_all(plan.where)
    if where is not None:
        select = select.where(where)
    test: exp.Expr = exp.Not(this=exp.Is(this=gap.copy(), expression=exp.Null()))
    if difference.only_where_it_happened:
        test = exp.GT(this=gap.copy(), expression=exp.Literal.number(0))
    select = select.having(test)
    descending = difference.ranked != "asc"
    select = select.order_by(exp.Ordered(this=exp.column(name, quoted=True), desc=descending), key.copy())
    return select.limit(plan.limit) if difference.ranked is not None and plan.limit is not None else select


def _yes_no_tree(plan: Plan, schema: SchemaIndex, table: exp.Expr) -> exp.Select:
    """Yes or no: whether any row matches, whether a total passes its test, or whether the named
    row is among the ones a superlative keeps."""
    yes, no = exp.Literal.string("yes"), exp.Literal.string("no")
    if plan.having and not plan.group:
        test = _and_all([[h] for h in plan.having])
        check = exp.Case(ifs=[exp.If(this=test, true=yes)], default=no)
    elif plan.order and plan.limit is not None:
        named = [
            g for g in plan.where if all(c.op == "=" and c.expr.column is not None and c.expr.column.text for c in g)
        ]
        if not named:
            check = exp.Case(
                ifs=[exp.If(this=exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(0)), true=yes)],
                default=no,
            )
            return _wrapped(check, plan, table)
        subject = named[0][0]
        rest = Plan(**{**plan.__dict__, "where": [g for g in plan.where if g is not named[0]], "answer": "rows"})
        rest.select = [subject.expr]
        top = _rows_tree(rest, schema, table.copy()).subquery("kept")  # MariaDB: no LIMIT inside IN
        found = exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(0))
        check = exp.Case(ifs=[exp.If(this=found, true=yes)], default=no)
        is_subject = cond_node(subject)
        return exp.select(exp.alias_(check, "answer", quoted=True)).from_(top).where(is_subject)
    else:
        check = exp.Case(
            ifs=[exp.If(this=exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(0)), true=yes)],
            default=no,
        )
        if plan.count_beside:  # "are there any 3-cylinder cars": yes or no, and how many there are
            return _wrapped(check, plan, table, exp.alias_(exp.Count(this=exp.Star()), "count", quoted=True))
    return _wrapped(check, plan, table)


def _wrapped(check: exp.Expr, plan: Plan, table: exp.Expr, *beside: exp.Expr) -> exp.Select:
    select = exp.select(exp.alias_(check, "answer", quoted=True), *beside).from_(table)
    where = _and_all(plan.where)
    return select.where(where) if where is not None else select


def _kept(plan: Plan, condition: exp.Expr) -> exp.Expr:
    """What the part adds up: the measure (or one per row) where the part's condition holds."""
    kept = measure_node(plan.share_measure) if plan.share_measure else exp.Literal.number(1)
    return exp.Sum(this=exp.If(this=condition, true=kept, false=exp.Literal.number(0)))


def _share_tree(plan: Plan, table: exp.Expr) -> exp.Select:
    """Percent of all rows (or of a measure's total) per group, or of the rows a filter keeps."""
    measure = exp.Sum(this=measure_node(plan.share_measure)) if plan.share_measure else exp.Count(this=exp.Star())
    if plan.group:
        total = exp.Window(this=exp.Sum(this=measure.copy()))
        # Unrounded: the answer table formats it, and a rounded figure cannot be computed with.
        percent = exp.Div(this=exp.Mul(this=exp.Literal.number(100.0), expression=measure.copy()), expression=total)
        part = _and_all(plan.share_filter)
        if part is not None:  # a rate within each group
            percent = exp.Div(
                this=exp.Mul(this=exp.Literal.number(100.0), expression=_kept(plan, part)), expression=measure.copy()
            )
        groups = [expr_node(g) for g in plan.group]
        projections = [
            exp.alias_(expr_node(g), alias_for(g), quoted=True) if alias_for(g) else expr_node(g) for g in plan.group
        ]
        select = exp.select(*projections, exp.alias_(percent, "percent", quoted=True)).from_(table)
        where = _and_all(plan.where)
        if where is not None:
            select = select.where(where)
        descending = plan.share_ranked is not False
        by_percent = exp.Ordered(this=exp.column("percent", quoted=True), desc=descending)
        select = select.group_by(*groups).order_by(by_percent)
        if plan.share_ranked is not None:  # "which class had the highest survival rate": ties broken by the label
            select = select.order_by(*(exp.Ordered(this=g.copy()) for g in groups), append=True)
        return select.limit(plan.limit) if plan.share_ranked is not None and plan.limit else select
    condition = _and_all(plan.share_filter)
    if condition is None:
        condition = exp.true()
    kept = _kept(plan, condition)
    percent = exp.Div(this=exp.Mul(this=exp.Literal.number(100.0), expression=kept), expression=measure)
    select = exp.select(exp.alias_(percent, "percent", quoted=True)).from_(table)
    where = _and_all(plan.where)  # limits both the part and the whole
    return select.where(where) if where is not None else select


def describe(plan: Plan, schema: SchemaIndex) -> str:
    """One line in plain words: what the SQL does."""
    parts: list[str] = []
    if plan.difference is not None:
        parts.append(_difference_words(plan, plan.difference))
    if plan.correlation is not None:
        pair = f"{plan.correlation.first.name} and {plan.correlation.second.name}"
        parts.append(f"Shows the correlation (Pearson's r, from -1 to 1) between {pair}")
    elif plan.answer == "yes_no":
        if plan.having:
            parts.append("Answers yes or no")
        elif plan.order and plan.limit is not None:
            parts.append(f"Answers yes or no: whether {schema.table.name} has such rows")
        elif plan.count_beside:
            parts.append(f"Answers yes or no, with how many rows match: whether {schema.table.name} has such rows")
        else:
            parts.append(f"Answers yes or no: whether {schema.table.name} has such rows")
    elif plan.share:
        measure = f"total {plan.share_measure.name}" if plan.share_measure else "rows"
        if plan.group and plan.share_filter:
            part = " and ".join(" or ".join(_cond_words(c) for c in group) for group in plan.share_filter)
            keys = ", ".join(_name(g) for g in plan.group)
            parts.append(f"Shows, for each {keys}, the percentage of its {measure} where {part}")
        elif plan.group:
            parts.append(f"Shows each {', '.join(_name(g) for g in plan.group)} as a percentage of all {measure}")
        else:
            part = " and ".join(" or ".join(_cond_words(c) for c in group) for group in plan.share_filter)
            parts.append(f"Shows the percentage of {measure} where {part}")
    elif plan.star:
        parts.append(f"Shows every column of {schema.table.name}")
    else:
        shown = ", ".join(_name(e) for e in plan.select)
        parts.append(f"Shows {'the distinct ' if plan.distinct else ''}{shown} from {schema.table.name}")
    conditions = [" or ".join(_cond_words(c) for c in group) for group in plan.where]
    if conditions:
        parts.append(("among rows where " if plan.share and not plan.group else "where ") + " and ".join(conditions))
    if plan.row_comparison is not None:
        comparison = plan.row_comparison
        how = {"=": "the same", ">": "a higher", "<": "a lower"}[comparison.op]
        than = "as" if comparison.op == "=" else "than"
        parts.append(f"with {how} {_name(comparison.measure)} {than} the row where {_cond_words(comparison.anchor)}")
    if plan.group and not plan.share:
        parts.append("for each " + ", ".join(_name(g) for g in plan.group))
    if plan.having:
        parts.append("keeping groups whose " + " and ".join(_cond_words(h) for h in plan.having))
    if plan.order:
        ordering = ", ".join(f"{_name(e)} {'high to low' if d else 'low to high'}" for e, d in plan.order)
        parts.append(f"sorted by {ordering}")
    if plan.limit is not None:
        parts.append(f"keeping the first {plan.limit}")
    if plan.top_per_group is not None:
        top = plan.top_per_group
        keys = ", ".join(_name(g) for g in top.partition)
        best = "highest" if top.descending else "lowest"
        parts.append(f"keeping in each {keys} the {top.count} with the {best} {_name(top.ranked_by)} (ties kept)")
    return ", ".join(parts) + "."


def _difference_words(plan: Plan, difference: Difference) -> str:
    def side(one: Side) -> str:
        where = " and ".join(_cond_words(c) for c in one.conditions)
        return f"{_name(one.measure)} where {where}" if where else _name(one.measure)

    first, second = side(difference.first), side(difference.second)
    if plan.answer == "choice":
        return f"Answers which is larger{' (smaller)' if difference.mode == 'less' else ''}: {first}, or {second}"
    if plan.answer == "yes_no" and difference.over_time:
        verb = "fell" if difference.mode == "drop" else "rose"
        return f"Answers yes or no: whether {_name(difference.first.measure)} {verb} from {second} to {first}"
    if plan.answer == "yes_no":
        word = "smaller" if difference.mode == "less" else "larger"
        return f"Answers yes or no: whether {first} is {word} than {second}"
    if difference.over_time:
        verb = "fell" if difference.mode == "drop" else "changed"
        amount = "by what percentage of the earlier value" if difference.as_percent else "how much"
        per = f" for each {difference.label.name}" if difference.label is not None else ""
        words = f"Shows {amount} {_name(difference.first.measure)} {verb}{per}: from {second} to {first}"
        if difference.ranked is not None:
            words += f", {'largest' if difference.ranked == 'desc' else 'smallest'} first"
        elif difference.only_where_it_happened:
            words += f", keeping those where it {'fell' if difference.mode == 'drop' else 'rose'}"
        return words
    if difference.mode == "less":
        first, second = second, first
    kind = "the difference" if difference.mode == "abs" else "how much more"
    return f"Shows {kind} between {first} and {second}"


def _name(expr: Expr) -> str:
    if expr.column is None:
        return "number of rows"
    name = expr.column.name
    if expr.bucket:
        name = f"{expr.bucket} of {name}"
    if expr.agg == "count":
        return f"number of {'distinct ' if expr.distinct else ''}{name}"
    if expr.agg:
        return f"{_AGG_WORDS[expr.agg]} {name}"
    return name


def _cond_words(cond: Cond) -> str:
    subject = f"the year of {_name(cond.expr)}" if cond.year_of else _name(cond.expr)
    if any(isinstance(v, MonthOfYear) for v in cond.values):
        subject = f"the month of {_name(cond.expr)}"
    if cond.other is not None:
        return f"{subject} {_OP_WORDS[cond.op]} {_name(cond.other)}"
    if cond.op == "extreme":
        temporal = cond.expr.column is not None and (cond.expr.column.temporal or cond.expr.column.yearish)
        return f"{subject} is {_EXTREME_WORDS[cond.values[0]][temporal]} in the table"
    values = " and ".join(_value_words(v) for v in cond.values)
    return f"{subject} {_OP_WORDS[cond.op]} {values}"


def _value_words(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return f"'{value}'"
    return str(value)


def chart_hint(plan: Plan) -> dict[str, Any] | None:
    """A first guess at the chart: a line over time, bars per group, a scatter for two measures."""
    if plan.star or plan.answer != "rows":
        return None
    if plan.correlation is not None:
        if plan.group and plan.group[0].column is not None:
            return {"type": "bar", "x": alias_for(plan.group[0]) or plan.group[0].column.name, "y": "correlation"}
        return {"type": "kpi", "x": None, "y": "correlation"}
    if plan.difference is not None:
        if plan.difference.label is not None:
            return {"type": "bar", "x": plan.difference.label.name, "y": plan.difference.column_name}
        return None if plan.difference.per_row else {"type": "kpi", "x": None, "y": plan.difference.column_name}
    names = [alias_for(e) or (e.column.name if e.column else "count") for e in plan.select]
    measures = [
        n
        for e, n in zip(plan.select, names, strict=True)
        if e.agg or (e.column is not None and e.column.numeric_measure)
    ]
    if plan.share:
        if plan.group:
            return {"type": "pie", "x": _key_name(plan.group[0]), "y": "percent"}
        return {"type": "kpi", "x": None, "y": "percent"}
    if plan.group:
        x_expr = plan.group[0]
        x = _key_name(x_expr)
        y = next((n for e, n in zip(plan.select, names, strict=True) if e.agg), None)
        if y is None:
            return None
        temporal = x_expr.bucket is not None or (
            x_expr.column is not None and (x_expr.column.temporal or x_expr.column.yearish)
        )
        return {"type": "line" if temporal else "bar", "x": x, "y": y}
    if len(plan.select) == 1 and plan.select[0].agg:
        return {"type": "kpi", "x": None, "y": names[0]}
    if len(measures) == 2 and len(plan.select) == 2 and not plan.limit:
        return {"type": "scatter", "x": measures[0], "y": measures[1]}
    return None
