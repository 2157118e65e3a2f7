"""Column names in words, for chart titles, axes, table headers and insights.

A result column is named by its SQL (`avg_price`, `COUNT(*)`, `lifeExp`); people read "Average
price", "Number of rows", "Life expectancy". The label comes from the select expression that made
the column when the SQL can be read (AVG(price) AS avg_price -> "Average price"), else from the
name itself (snake_case and camelCase split, a few usual abbreviations spelt out). The SQL names
stay where the user edits SQL (the SQL block, header tooltips).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

# Abbreviations spelt out, acronyms kept in capitals; anything else is left as written.
_WORDS: dict[str, str] = {
    "avg": "average",
    "pct": "percent",
    "perc": "percent",
    "qty": "quantity",
    "amt": "amount",
    "num": "number",
    "cnt": "count",
    "percap": "per capita",
    "lifeexp": "life expectancy",
    "yr": "year",
    "dt": "date",
    "desc": "description",
    "id": "ID",
    "gdp": "GDP",
    "usd": "USD",
    "eur": "EUR",
    "gbp": "GBP",
    "url": "URL",
}
# A leading token that says how the column was aggregated, and the words it reads as.
_PREFIXES: dict[str, str] = {
    "avg": "Average",
    "average": "Average",
    "mean": "Average",
    "sum": "Total",
    "total": "Total",
    "min": "Lowest",
    "max": "Highest",
    "median": "Median",
    "n": "Number of",
    "num": "Number of",
    "cnt": "Number of",
    "count": "Number of",
}
# Aggregate functions and the words in front of their argument.
_FUNCTIONS: tuple[tuple[type[exp.Expr], str], ...] = (
    (exp.Avg, "Average"),
    (exp.Sum, "Total"),
    (exp.Min, "Lowest"),
    (exp.Max, "Highest"),
    (exp.Median, "Median"),
)
_UNWRAP: tuple[type[exp.Expr], ...] = (exp.Round, exp.Cast, exp.TryCast, exp.Paren, exp.Abs)


def words(name: str) -> str:
    """`avg_price` -> "Average price", `lifeExp` -> "Life expectancy", `GOOG` -> "GOOG"."""
    if not name or not name.strip():
        return name
    if not re.fullmatch(r"[A-Za-z0-9_ .\-]+", name):
        return name  # an expression or a name in another script: shown as written
    joined = name.replace("_", "").replace(" ", "").lower()
    if joined in _WORDS and _WORDS[joined].islower():
        return _WORDS[joined].capitalize()
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    tokens = [token for token in re.split(r"[_\s.\-]+", spaced) if token]
    if name.isupper() and len(tokens) == 1:
        return name  # a ticker or a code
    shown = [
        _WORDS.get(token.lower(), token if token.isupper() and len(token) > 1 else token.lower()) for token in tokens
    ]
    first = shown[0]
    text = " ".join([first[:1].upper() + first[1:], *shown[1:]])
    return _spelt_prefix(tokens, text)


def _spelt_prefix(tokens: list[str], text: str) -> str:
    """`avg_price` -> "Average price", `n_orders` -> "Number of orders" (the rest in words)."""
    head = tokens[0].lower()
    if len(tokens) < 2 or head not in _PREFIXES:
        return text
    rest = words("_".join(tokens[1:]))
    return f"{_PREFIXES[head]} {_lower_first(rest)}"


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[1:2].isupper():
        return text  # "GDP per capita" keeps its acronym
    return text[:1].lower() + text[1:]


def column_labels(sql: str, names: Sequence[str], dialect: str | None = None) -> dict[str, str]:
    """A label for each result column: from the select expression when the SQL can be read, else from the name.

    Remembered per SQL and columns: an answer labels its columns for the chart, the override check and
    the table, each of which would parse the SQL again.
    """
    if len(sql) > _REMEMBERED_SQL_CHARS:
        return _column_labels(sql, tuple(names), dialect)
    return dict(_remembered_labels(sql, tuple(names), dialect))


_REMEMBERED_SQL_CHARS = 20_000


@lru_cache(maxsize=512)
def _remembered_labels(sql: str, names: tuple[str, ...], dialect: str | None) -> dict[str, str]:
    return _column_labels(sql, names, dialect)


def _column_labels(sql: str, names: tuple[str, ...], dialect: str | None) -> dict[str, str]:
    labels = {name: words(name) for name in names}
    if not sql.strip():
        return labels
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except (SqlglotError, RecursionError, ValueError):
        return labels
    select = tree if isinstance(tree, exp.Select) else tree.find(exp.Select)
    if select is None:
        return labels
    projections = select.expressions
    in_order = len(projections) == len(names) and not any(isinstance(p, exp.Star) for p in projections)
    for position, projection in enumerate(projections):
        # Unnamed expressions are named by the database ("sum(total_bill)"): matched by position.
        name = names[position] if in_order else projection.alias_or_name
        if name in labels:
            made = expression_label(projection.unalias())
            if made and _alias_says_less(name, projection.unalias()):
                labels[name] = made
    return labels


_GENERIC_ALIASES = frozenset({"count", "n", "cnt", "num", "rows", "row_count", "count_star", "total", "value"})


def _alias_says_less(alias: str, node: exp.Expr) -> bool:
    """True when the alias only abbreviates the expression (`AVG(price) AS avg_price`, `COUNT(*) AS n`);
    False when it names the figure in its own words (`SUM(price) AS revenue`), which then stays."""
    tokens = [t for t in re.split(r"[^a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", alias).lower()) if t]
    rest = [t for t in tokens if t not in _PREFIXES]
    if not rest or "_".join(tokens) in _GENERIC_ALIASES or not re.fullmatch(r"[A-Za-z0-9_]+", alias):
        return True
    columns = [column.name.lower().replace("_", "") for column in node.find_all(exp.Column)]
    return any(column.startswith(token) or token.startswith(column) for token in rest for column in columns)


def expression_label(node: exp.Expr) -> str | None:
    """AVG(price) -> "Average price", COUNT(*) -> "Number of rows", COUNT(DISTINCT city) -> "Number of
    distinct city"; None for anything else (the column's own name is used)."""
    while isinstance(node, _UNWRAP):
        node = node.this
    if isinstance(node, exp.Count):
        argument = node.this
        if argument is None or isinstance(argument, exp.Star):
            return "Number of rows"
        if isinstance(argument, exp.Distinct) and len(argument.expressions) == 1:
            inner = argument.expressions[0]
            return f"Number of distinct {_lower_first(words(inner.name))}" if isinstance(inner, exp.Column) else None
        return f"Number of {_lower_first(words(argument.name))}" if isinstance(argument, exp.Column) else None
    for function, prefix in _FUNCTIONS:
        if isinstance(node, function):
            argument = node.this
            while isinstance(argument, _UNWRAP):
                argument = argument.this
            if isinstance(argument, exp.Column):
                named = words(argument.name)
                return named if named.lower().startswith(prefix.lower() + " ") else f"{prefix} {_lower_first(named)}"
            return None
    return None
