"""Bounds on the values a query can build, checked before it runs.

Text the query builds (padding, concatenation, replacement, format widths) is allocated outside
DuckDB's memory accounting, one vector of rows at a time, and similarity functions take time in
the square of their inputs' length; neither can be interrupted reliably. So every function that
makes a value bigger than its inputs must say how much bigger with a literal, and the estimate of
the largest value an expression can build must stay small.

An estimate is `chars` (text the query itself adds: literals, pad lengths, format widths) plus
`copies` of stored values (a column cell or an aggregate's output), followed through derived
tables and CTEs by column name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlglot import exp

from lumiere.services.sqlnames import ascii_lower, cte_name, visible_ctes

# 10,000 characters: far more than any label, code or padded number a report needs, while a whole
# 2,048-row vector of such values stays around 20 MB.
MAX_BUILT_CHARS = 10_000
# A built value may hold at most this many copies of stored values (e.g. CONCAT over 32 columns).
MAX_COPIES = 32
# Text the query adds to each row an aggregate collects (string_agg, list, array_agg ...).
MAX_COLLECTED_CHARS = 100
# Similarity functions are quadratic: one stored value or up to 1,000 characters a side.
MAX_COMPARED_CHARS = 1_000
_NUMBER_CHARS = 40
_UNBOUNDED = 10**12


class ValueTooBig(Exception):
    """A function could build a value past the bounds; the message says what to change."""


@dataclass(frozen=True)
class Size:
    chars: int = 0
    copies: int = 0

    def __add__(self, other: Size) -> Size:
        return Size(self.chars + other.chars, self.copies + other.copies)

    def times(self, factor: int) -> Size:
        return Size(self.chars * factor, self.copies * factor)

    def widest(self, other: Size) -> Size:
        return Size(max(self.chars, other.chars), max(self.copies, other.copies))


STORED = Size(copies=1)
_Estimate = TypeVar("_Estimate", Size, Size | None)
NUMBER = Size(chars=_NUMBER_CHARS)

_JOINING = (exp.DPipe, exp.Concat, exp.ConcatWs, exp.Array, exp.Struct)
_ONE_OF = (exp.Case, exp.If, exp.Coalesce, exp.Greatest, exp.Least)
_COLLECTING = (exp.GroupConcat, exp.ArrayAgg, exp.List)
_SIMILARITY = (exp.Levenshtein, exp.JarowinklerSimilarity)
_NUMERIC = (
    exp.Binary, exp.Predicate, exp.Connector, exp.Not, exp.Neg, exp.Length, exp.Count, exp.Sum, exp.Avg,
    exp.StrPosition, exp.ArraySize, exp.Levenshtein, exp.JarowinklerSimilarity, exp.Round, exp.Abs,
)
_FORMAT_NUMBER = re.compile(r"\d+")
_DYNAMIC_WIDTH = re.compile(r"%[^a-zA-Z%]*\*|\{[^}]*\{")


def check_value_sizes(query: exp.Expr) -> None:
    """Raise ValueTooBig when a function in `query` can build a value past the bounds."""
    nodes = list(query.walk())
    for node in nodes:
        if isinstance(node, exp.Pad):
            _literal_count(node.expression, f"{'lpad' if node.args.get('is_left') else 'rpad'}'s length")
        elif isinstance(node, exp.Anonymous) and ascii_lower(str(node.this)) == "bar" and len(node.expressions) > 3:
            _literal_count(node.expressions[3], "bar's width")
        elif isinstance(node, exp.DataTypeParam):
            _literal_count(node.this, "A type's size (e.g. CHAR(n), which PostgreSQL pads to n)")
    sizes = _Sizes()
    for node in nodes:
        if isinstance(node, _COLLECTING):
            _check_collected(node, sizes)
        elif isinstance(node, _SIMILARITY):
            _check_compared(node, sizes)
        if _builds_text(node):
            _check_built(node, sizes.of(node))


_BUILDERS = (
    exp.DPipe, exp.Concat, exp.ConcatWs, exp.Replace, exp.RegexpReplace, exp.Format, exp.ArrayToString, exp.Array,
    exp.Hex, exp.Cast, exp.TryCast,
)


def _builds_text(node: exp.Expr) -> bool:
    if isinstance(node, _BUILDERS):
        return True
    return isinstance(node, exp.Anonymous) and ascii_lower(str(node.this)) == "printf"


def _check_built(node: exp.Expr, size: Size) -> None:
    if size.chars > MAX_BUILT_CHARS or size.copies > MAX_COPIES:
        raise ValueTooBig(
            f"This query could build text values too big to handle ({_describe(size)}); a built value may add "
            f"up to {MAX_BUILT_CHARS:,} characters and hold up to {MAX_COPIES} stored values."
        )


_FUNCTION_NAMES: dict[type[exp.Expr], str] = {
    exp.GroupConcat: "string_agg (group_concat)", exp.ArrayAgg: "array_agg (list)", exp.List: "list",
    exp.Levenshtein: "levenshtein", exp.JarowinklerSimilarity: "jaro_winkler_similarity",
}


def _check_collected(node: exp.Expr, sizes: _Sizes) -> None:
    name = _FUNCTION_NAMES[type(node)]
    separator = node.args.get("separator")
    collected = sum((sizes.of(child) for child in node.iter_expressions() if child is not separator), Size())
    if collected.chars > MAX_COLLECTED_CHARS or collected.copies > MAX_COPIES:
        raise ValueTooBig(
            f"{name} collects one value per row, so each may add at most {MAX_COLLECTED_CHARS} characters "
            "of built text (no padding or long text inside it)."
        )
    separator_text = "" if separator is None else _text(separator)
    if separator_text is None or len(separator_text) > MAX_COLLECTED_CHARS:
        raise ValueTooBig(f"{name}'s separator must be quoted text of at most {MAX_COLLECTED_CHARS} characters.")


def _check_compared(node: exp.Expr, sizes: _Sizes) -> None:
    name = _FUNCTION_NAMES[type(node)]
    for side in (node.this, node.expression):
        if side is None:
            continue
        size = sizes.of(side)
        if size.chars > MAX_COMPARED_CHARS or size.copies > 1:
            raise ValueTooBig(
                f"{name} compares text of at most {MAX_COMPARED_CHARS:,} characters a side: give it a column, "
                "short quoted text, or a simple function of one column (lower, trim ...)."
            )


def _literal_count(node: exp.Expr | None, what: str) -> None:
    value = _whole_number(node)
    if value is None or value > MAX_BUILT_CHARS:
        raise ValueTooBig(f"{what} must be a number up to {MAX_BUILT_CHARS:,}.")


def _whole_number(node: exp.Expr | None) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string and re.fullmatch(r"\d+", str(node.this)):
        return int(node.this)
    return None


def _text(node: exp.Expr | None) -> str | None:
    return str(node.this) if isinstance(node, exp.Literal) and node.is_string else None


def _describe(size: Size) -> str:
    if size.chars >= _UNBOUNDED:
        return "text that grows with every step of a recursive query"
    parts = [f"{size.chars:,} characters of its own"] if size.chars else []
    parts += [f"{size.copies} stored values"] if size.copies else []
    return " and ".join(parts)


class _Sizes:
    """Largest-value estimates per node, memoized (a chain of || would otherwise be quadratic)."""

    def __init__(self) -> None:
        self._known: dict[int, Size] = {}
        self._resolving: set[int] = set()  # nodes whose estimate is being computed

    def of(self, node: exp.Expr) -> Size:
        key = id(node)
        if key in self._resolving:  # a value defined through itself: a recursive CTE or alias cycle
            return Size(chars=_UNBOUNDED)
        if key not in self._known:
            self._resolving.add(key)
            try:
                self._known[key] = self._estimate(node)
            finally:
                self._resolving.discard(key)
        return self._known[key]

    def _estimate(self, node: exp.Expr) -> Size:
        if isinstance(node, exp.Literal):
            return Size(chars=len(str(node.this)))
        if isinstance(node, exp.Column):
            return self._column(node)
        if isinstance(node, exp.Subquery):
            return self._query_output(node.this)
        if isinstance(node, exp.Pad):
            return Size(chars=_whole_number(node.expression) or _UNBOUNDED)
        if isinstance(node, (*_COLLECTING, exp.Query)):
            return STORED
        if isinstance(node, _NUMERIC) and not isinstance(node, exp.DPipe):
            return NUMBER
        if isinstance(node, exp.Replace | exp.RegexpReplace):
            return self._replaced(node)
        if isinstance(node, exp.ConcatWs) and node.expressions:
            separator, *parts = node.expressions
            return self.of(separator).times(max(len(parts) - 1, 1)) + sum((self.of(part) for part in parts), Size())
        if isinstance(node, exp.Hex):
            return self.of(node.this).times(2)
        if isinstance(node, exp.Cast | exp.TryCast) and node.to.expressions:
            declared = _whole_number(node.to.expressions[0].this)
            return self.of(node.this) + Size(chars=declared if declared is not None else _UNBOUNDED)
        if isinstance(node, exp.ArrayToString):
            separator = _text(node.expression)
            if separator is None:
                raise ValueTooBig("array_to_string's separator must be quoted text.")
            return self.of(node.this).times(1 + len(separator))
        if isinstance(node, exp.Format) or (
            isinstance(node, exp.Anonymous) and ascii_lower(str(node.this)) == "printf"
        ):
            return self._formatted(node)
        children = [self.of(child) for child in node.iter_expressions()]
        if isinstance(node, _ONE_OF):
            return _widest(children)
        return sum(children, Size())

    def _replaced(self, node: exp.Expr) -> Size:
        replacement = node.args.get("replacement")
        text = "" if replacement is None else _text(replacement)
        if text is None:
            raise ValueTooBig("The replacement text of replace and regexp_replace must be quoted text.")
        return self.of(node.this).times(1 + len(text))

    def _formatted(self, node: exp.Expr) -> Size:
        template_node, *arguments = [node.this, *node.expressions] if isinstance(node, exp.Format) else node.expressions
        template = _text(template_node)
        if template is None:
            raise ValueTooBig("The format text of format and printf must be quoted text.")
        if _DYNAMIC_WIDTH.search(template):
            raise ValueTooBig("Widths in a format text must be written as numbers, not taken from arguments.")
        widths = [int(number) for number in _FORMAT_NUMBER.findall(template)]
        if any(width > MAX_BUILT_CHARS for width in widths):
            raise ValueTooBig(f"Widths and precisions in a format text must be numbers up to {MAX_BUILT_CHARS:,}.")
        placeholders = template.count("%") + template.count("{")
        widest_argument = _widest([self.of(argument) for argument in arguments])
        return Size(chars=len(template) + sum(widths)) + widest_argument.times(placeholders)

    def _column(self, column: exp.Column) -> Size:
        """A stored value, unless the column is one a derived table, a CTE or a select alias built."""
        select = column.find_ancestor(exp.Select)
        if select is None:
            return STORED
        found = [self._named_in_select(select, column.name, skip=column)] if not column.table else []
        found.extend(self._named_in_source(source, column.name) for source in _sources(select, column.table))
        known = [size for size in found if size is not None]
        return _widest(known) if known else STORED

    def _named_in_select(self, select: exp.Select, name: str, skip: exp.Expr) -> Size | None:
        matches = [
            expression for expression in select.expressions
            if isinstance(expression, exp.Alias) and ascii_lower(expression.alias) == ascii_lower(name)
            and not any(node is skip for node in expression.walk())
        ]
        return _widest([self.of(expression.this) for expression in matches]) if matches else None

    def _named_in_source(self, source: exp.Expr, name: str) -> Size | None:
        query = _query_of(source)
        return None if query is None else self._through(query, lambda: self._named_in_query(query, name))

    def _source_output(self, source: exp.Expr) -> Size:
        query = _query_of(source)
        return STORED if query is None else self._through(query, lambda: self._query_output(query))

    def _through(self, query: exp.Expr, estimate: Callable[[], _Estimate]) -> _Estimate:
        """Estimate a value read from `query`; reading a query from inside itself (a recursive CTE)
        can grow without bound, so it counts as unbounded: built text over it is refused."""
        key = id(query)
        if key in self._resolving:
            return Size(chars=_UNBOUNDED)
        self._resolving.add(key)
        try:
            return estimate()
        finally:
            self._resolving.discard(key)

    def _named_in_query(self, query: exp.Expr, name: str) -> Size | None:
        if isinstance(query, exp.SetOperation | exp.Values):
            return self._query_output(query)
        if not isinstance(query, exp.Select):
            return None
        found: list[Size] = []
        for expression in query.expressions:
            if isinstance(expression, exp.Star):
                found.extend(
                    size for source in _sources(query, "") if (size := self._named_in_source(source, name)) is not None
                )
            elif ascii_lower(expression.alias_or_name) == ascii_lower(name):
                found.append(self.of(expression.this if isinstance(expression, exp.Alias) else expression))
        return _widest(found) if found else None

    def _query_output(self, query: exp.Expr) -> Size:
        """The largest value any column of the query can hold (set operations: any branch)."""
        if isinstance(query, exp.SetOperation):
            return self._query_output(query.this).widest(self._query_output(query.expression))
        if isinstance(query, exp.Subquery):
            return self._query_output(query.this)
        if isinstance(query, exp.Values):
            return _widest([self.of(row) for row in query.expressions])
        if isinstance(query, exp.Select):
            sizes: list[Size] = []
            for expression in query.expressions:
                if isinstance(expression, exp.Star):
                    sizes.extend(self._source_output(source) for source in _sources(query, ""))
                else:
                    sizes.append(self.of(expression))
            return _widest(sizes)
        return STORED


def _sources(select: exp.Select, table: str) -> list[exp.Expr]:
    """FROM and JOIN sources of `select`, only the one aliased or named `table` when given."""
    from_ = select.args.get("from_")
    candidates = ([from_.this] if from_ is not None else []) + [join.this for join in select.args.get("joins") or []]
    if not table:
        return candidates
    return [source for source in candidates if ascii_lower(source.alias_or_name) == ascii_lower(table)]


def _query_of(source: exp.Expr) -> exp.Expr | None:
    if isinstance(source, exp.Subquery):
        return source.this
    if isinstance(source, exp.Values):
        return source
    if isinstance(source, exp.Select):
        return source
    if isinstance(source, exp.Table) and not source.args.get("db"):
        for cte in visible_ctes(source):
            name = cte_name(cte)
            if name is not None and ascii_lower(name.name) == ascii_lower(source.name):
                return cte.this
    return None


def _widest(sizes: list[Size]) -> Size:
    widest = Size()
    for size in sizes:
        widest = widest.widest(size)
    return widest
