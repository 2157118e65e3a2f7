"""Which unit ("$", "€", "%", "kg") each column of an answer carries, read from the SQL that ran.

A result column has the unit of a source column when it is that column (through aliases, CTEs and
subqueries) or an aggregate that keeps units: SUM, AVG, MIN, MAX, MEDIAN (also as window
functions), ROUND/ABS/CAST of one, a sum or difference of columns sharing the unit, a CASE whose
branches share it. COUNT, products and quotients have no unit of the source: a share the engine
computes as `100.0 * SUM(x) / SUM(y)` is a percentage of the result, not dollars. When in doubt the
column gets no unit, since a wrong "$" misleads more than none.

The lineage is read with sqlglot from the SQL the guard re-rendered (`ResultSet.sql`), so it is the
query that actually ran; the units come from the merged semantic layer (inferred at ingest, edited
by the user).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from lumiere.core.resultset import ResultSet, unit_affixes
from lumiere.core.semantics import SourceSemantics
from lumiere.models import Source
from lumiere.services.semantics import semantics_for_engine

# Functions whose result is in the unit of their (first) argument.
_KEEPS_UNIT: tuple[type[exp.Expr], ...] = (
    exp.Sum, exp.Avg, exp.Min, exp.Max, exp.Median, exp.AnyValue, exp.First, exp.Last,
    exp.Filter, exp.Round, exp.Abs, exp.Floor, exp.Ceil, exp.Cast, exp.TryCast, exp.Paren, exp.Neg, exp.Alias,
    exp.Quantile, exp.PercentileCont, exp.PercentileDisc, exp.Stddev, exp.StddevPop, exp.StddevSamp,
)  # fmt: skip
_MAX_DEPTH = 64  # nested subqueries deeper than this get no unit rather than a deep recursion


@dataclass(frozen=True)
class _Scope:
    """What the names in one SELECT can refer to: its FROM/JOIN sources by alias, and visible CTEs."""

    sources: dict[str, exp.Expr]  # alias (lower case) -> exp.Table or a query (subquery / CTE body)
    ctes: dict[str, exp.Expr]


@dataclass(frozen=True)
class Catalog:
    """What lineage needs to know of the source: units by (table, column) and each table's columns
    in order (to expand `SELECT *`), all names in lower case."""

    units: Mapping[tuple[str, str], str]
    tables: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, semantics: SourceSemantics, tables: Iterable[tuple[str, Sequence[str]]] = ()) -> Catalog:
        units = {
            (meaning.table.lower(), meaning.column.lower()): meaning.unit.strip()
            for meaning in semantics.columns
            if meaning.unit.strip()
        }
        return cls(units=units, tables={name.lower(): tuple(c.lower() for c in columns) for name, columns in tables})


def result_column_units(sql: str, dialect: str, catalog: Catalog, width: int) -> list[str | None]:
    """The unit of each of the `width` result columns of `sql` (all None when there is none or the
    SQL cannot be read, or its width cannot be told)."""
    if not catalog.units or not sql.strip():
        return [None] * width
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
        found = _query_units(tree, {}, catalog, 0)
    except (SqlglotError, RecursionError):
        return [None] * width
    if found is None or len(found) != width:
        return [None] * width
    return found


def source_catalog(source: Source) -> Catalog:
    """The source's units from its merged semantic layer, and its tables' columns."""
    tables = [
        (str(table["name"]), [str(column["name"]) for column in table.get("columns", [])])
        for table in source.tables_json or []
    ]
    return Catalog.of(semantics_for_engine(source), tables)


def annotate_units(result: ResultSet, catalog: Catalog, dialect: str) -> ResultSet:
    """Set `unit` on the result's columns (in place, and returned for chaining)."""
    found = result_column_units(result.sql, dialect, catalog, len(result.columns))
    for column, unit in zip(result.columns, found, strict=True):
        column.unit = unit
    return result


def with_unit(number: str, unit: str | None) -> str:
    """"1,234.5" with "$" -> "$1,234.5"; with "%" -> "12%"; with "kg" -> "12 kg"; a minus sign
    stays in front of a symbol: "-$5"."""
    prefix, suffix = unit_affixes(unit)
    if prefix and number.startswith(("-", "+")):
        return f"{number[0]}{prefix}{number[1:]}{suffix}"
    return f"{prefix}{number}{suffix}"


def header_label(name: str, unit: str | None) -> str:
    """"amount" with "$" -> "amount ($)"; unchanged when there is no unit or the name already says it."""
    if not unit or name.rstrip().endswith(f"({unit})"):
        return name
    return f"{name} ({unit})"


# --------------------------------------------------------------------------------------------
# Lineage


def _query_units(
    query: exp.Expr, ctes: dict[str, exp.Expr], catalog: Catalog, depth: int
) -> list[str | None] | None:
    """Units of a query's output columns, in order; None when its width cannot be told (a `*`)."""
    if depth > _MAX_DEPTH:
        return None
    if isinstance(query, exp.Subquery):
        return _query_units(query.this, ctes, catalog, depth + 1)
    if isinstance(query, exp.SetOperation):
        left = _query_units(query.left, _with_ctes(query, ctes), catalog, depth + 1)
        right = _query_units(query.right, _with_ctes(query, ctes), catalog, depth + 1)
        if left is None or right is None or len(left) != len(right):
            return None
        return [a if a == b else None for a, b in zip(left, right, strict=True)]
    if not isinstance(query, exp.Select):
        return None
    scope = _scope_of(query, ctes)
    found: list[str | None] = []
    for projection in query.expressions:
        if isinstance(projection, exp.Star) or (isinstance(projection, exp.Column) and projection.is_star):
            expanded = _star_units(projection, scope, catalog, depth)
            if expanded is None:
                return None
            found.extend(expanded)
        else:
            found.append(_expression_unit(projection, scope, catalog, depth))
    return found


def _with_ctes(query: exp.Expr, ctes: dict[str, exp.Expr]) -> dict[str, exp.Expr]:
    with_ = query.args.get("with_") or query.args.get("with")
    if not isinstance(with_, exp.With):
        return ctes
    visible = dict(ctes)
    for cte in with_.expressions:
        visible[cte.alias_or_name.lower()] = cte.this
    return visible


def _scope_of(select: exp.Select, ctes: dict[str, exp.Expr]) -> _Scope:
    visible = _with_ctes(select, ctes)
    sources: dict[str, exp.Expr] = {}
    from_ = select.args.get("from_") or select.args.get("from")
    items = [from_.this] if isinstance(from_, exp.From) else []
    items += [join.this for join in select.args.get("joins") or []]
    for item in items:
        if isinstance(item, exp.Table):
            name = item.name.lower()
            target: exp.Expr = visible.get(name, item) if not item.db else item
            sources[(item.alias or item.name).lower()] = target
        elif isinstance(item, exp.Subquery) and item.alias:
            sources[item.alias.lower()] = item.this
    return _Scope(sources=sources, ctes=visible)


def _star_units(star: exp.Expr, scope: _Scope, catalog: Catalog, depth: int) -> list[str | None] | None:
    """`*` (or `t.*`) expanded over its sources in order; None when a table's columns are unknown."""
    table = star.table.lower() if isinstance(star, exp.Column) else ""
    targets = list(scope.sources.values()) if not table else [scope.sources[table]] if table in scope.sources else []
    if not targets:
        return None
    found: list[str | None] = []
    for target in targets:
        if isinstance(target, exp.Table):
            columns = catalog.tables.get(target.name.lower())
            if columns is None:
                return None
            found.extend(catalog.units.get((target.name.lower(), column)) for column in columns)
        else:
            inner = _query_units(target, scope.ctes, catalog, depth + 1)
            if inner is None:
                return None
            found.extend(inner)
    return found


def _expression_unit(
    node: exp.Expr, scope: _Scope, catalog: Catalog, depth: int
) -> str | None:
    if depth > _MAX_DEPTH:
        return None
    if isinstance(node, exp.Window):
        return _expression_unit(node.this, scope, catalog, depth + 1)
    if isinstance(node, exp.Column):
        return _column_unit(node, scope, catalog, depth)
    if isinstance(node, exp.Subquery):
        inner = _query_units(node.this, scope.ctes, catalog, depth + 1)
        return inner[0] if inner and len(inner) == 1 else None
    if isinstance(node, exp.Coalesce):
        parts = [node.this, *node.expressions]
        return _shared_unit(parts, scope, catalog, depth, literals_allowed=True)
    if isinstance(node, exp.Case):
        branches = [case.args.get("true") for case in node.args.get("ifs") or []]
        branches.append(node.args.get("default"))
        return _shared_unit([b for b in branches if b is not None], scope, catalog, depth, literals_allowed=True)
    if isinstance(node, exp.If):
        branches = [node.args.get("true"), node.args.get("false")]
        return _shared_unit([b for b in branches if b is not None], scope, catalog, depth, literals_allowed=True)
    if isinstance(node, (exp.Add, exp.Sub)):
        return _shared_unit([node.left, node.right], scope, catalog, depth, literals_allowed=False)
    if isinstance(node, _KEEPS_UNIT):
        argument = node.this
        return _expression_unit(argument, scope, catalog, depth + 1) if isinstance(argument, exp.Expr) else None
    return None  # COUNT, products, quotients, literals, other functions


def _shared_unit(
    parts: Sequence[exp.Expr], scope: _Scope, catalog: Catalog, depth: int, *,
    literals_allowed: bool,
) -> str | None:
    """The unit every part has (NULL and, where allowed, plain number literals aside, as in
    `CASE WHEN ... THEN amount ELSE 0 END`)."""
    found: set[str | None] = set()
    for part in parts:
        bare = part.unnest() if isinstance(part, exp.Paren) else part
        if isinstance(bare, exp.Null) or (literals_allowed and isinstance(bare, exp.Literal) and not bare.is_string):
            continue
        found.add(_expression_unit(part, scope, catalog, depth + 1))
    if len(found) == 1:
        return found.pop()
    return None


def _column_unit(
    column: exp.Column, scope: _Scope, catalog: Catalog, depth: int
) -> str | None:
    name = column.name.lower()
    qualifier = column.table.lower()
    if qualifier:
        targets = [scope.sources[qualifier]] if qualifier in scope.sources else []
    else:
        targets = list(scope.sources.values())
    found: set[str | None] = set()
    for target in targets:
        if isinstance(target, exp.Table):
            table = target.name.lower()
            known = catalog.tables.get(table)
            if (table, name) in catalog.units:
                found.add(catalog.units[(table, name)])
            elif len(targets) == 1 or known is None or name in known:
                found.add(None)
        else:
            unit = _output_unit(target, name, scope.ctes, catalog, depth + 1)
            found.add(unit)
    found_units = {unit for unit in found if unit is not None}
    # With several sources an unqualified name resolves to one of them; a unit is given only when
    # nothing else could be meant.
    return found_units.pop() if len(found_units) == 1 and len(found) == 1 else None


def _output_unit(
    query: exp.Expr, name: str, ctes: dict[str, exp.Expr], catalog: Catalog, depth: int
) -> str | None:
    """The unit of the output column `name` of a subquery or CTE."""
    if depth > _MAX_DEPTH:
        return None
    if isinstance(query, exp.Subquery):
        return _output_unit(query.this, name, ctes, catalog, depth + 1)
    if isinstance(query, exp.SetOperation):
        left = _output_unit(query.left, name, _with_ctes(query, ctes), catalog, depth + 1)
        right = _output_unit(query.right, name, _with_ctes(query, ctes), catalog, depth + 1)
        return left if left == right else None
    if not isinstance(query, exp.Select):
        return None
    scope = _scope_of(query, ctes)
    for projection in query.expressions:
        if isinstance(projection, exp.Star) or (isinstance(projection, exp.Column) and projection.is_star):
            qualifier = projection.table if isinstance(projection, exp.Column) else ""
            unit = _column_unit(exp.column(name, table=qualifier or None), scope, catalog, depth + 1)
            if unit is not None:
                return unit
        elif projection.alias_or_name.lower() == name:
            return _expression_unit(projection, scope, catalog, depth + 1)
    return None
