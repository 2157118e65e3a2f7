"""How each database compares table and CTE names, so the SQL guard decides what a name means the
way the database will.

Python's `str.lower()` folds far more than the databases do (the Kelvin sign U+212A becomes "k"),
and a guard that matched a CTE name the database does not match leaves that name free to read a
real catalog view. So names are compared by the database's own rule, and names with letters that
some Unicode case mapping turns into plain ASCII are refused outright.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

# Non-ASCII characters that str.lower/upper/casefold map to plain ASCII (see the unit test that
# recomputes it). The German sharp s (ß, ẞ -> "ss") is left out: it is an ordinary letter in names.
LOOKALIKE_LETTERS = frozenset("\u0131\u017f\u212a\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06")


def ascii_lower(name: str) -> str:
    """Lower-case A-Z only, as DuckDB and PostgreSQL fold identifiers."""
    return name.translate(_ASCII_LOWER)


def lookup_key(identifier: exp.Identifier, dialect: str) -> str:
    """The key under which the database looks this name up.

    DuckDB: case-insensitive in ASCII only, quoted or not. PostgreSQL: unquoted names folded to
    ASCII lower case, quoted names exact. MySQL/MariaDB: exact — MariaDB matches CTE names
    case-insensitively (even across Unicode), so exact is the stricter reading there: a name the
    guard does not take for a CTE is checked as a real table.
    """
    name = identifier.name
    if dialect == "duckdb":
        return ascii_lower(name)
    if dialect == "postgres" and not identifier.quoted:
        return ascii_lower(name)
    return name


def same_name(written: exp.Identifier, other: exp.Identifier, dialect: str) -> bool:
    """True when the database takes both identifiers for the same name."""
    return lookup_key(written, dialect) == lookup_key(other, dialect)


def lookalike_problem(identifier: exp.Identifier) -> str | None:
    """Why the name is refused, when a letter in it is one some case mapping turns into ASCII (it
    could pass for another name, e.g. a system catalog's, wherever names are folded differently)."""
    name = identifier.name
    odd = next((char for char in name if char in LOOKALIKE_LETTERS), None)
    if odd is None:
        return None
    return (
        f"The name {name[:80]!r} contains {odd!r} (U+{ord(odd):04X}), a letter that case folding turns into "
        "a plain ASCII letter; write names with plain letters."
    )


def cte_name(cte: exp.CTE) -> exp.Identifier | None:
    alias = cte.args.get("alias")
    if isinstance(alias, exp.TableAlias) and isinstance(alias.this, exp.Identifier):
        return alias.this
    return None


def visible_ctes(node: exp.Expr) -> Iterator[exp.CTE]:
    """The CTEs `node` can see, walking out through every enclosing WITH.

    Inside the body of a CTE only the earlier CTEs of its WITH are visible, and the CTE itself
    only from the recursive branch of `WITH RECURSIVE name AS (anchor UNION [ALL] recursive)`:
    DuckDB binds a self-reference anywhere else (the anchor, an INTERSECT/EXCEPT, a body with no
    UNION) to the real table of that name. PostgreSQL and MySQL refuse those or bind them the same
    way, and also see later CTEs of a RECURSIVE WITH; not counting those is the strict reading.
    """
    came_from, child, parent = None, node, node.parent
    while parent is not None:
        with_clause = parent.args.get("with_") if isinstance(parent, exp.Query) else None
        if isinstance(with_clause, exp.With):
            ctes = list(with_clause.expressions)
            if child is with_clause:
                position = next(index for index, cte in enumerate(ctes) if cte is came_from)
                itself = with_clause.args.get("recursive") and _in_recursive_branch(node, ctes[position])
                ctes = ctes[: position + 1] if itself else ctes[:position]
            yield from ctes
        came_from, child, parent = child, parent, parent.parent


def _in_recursive_branch(node: exp.Expr, cte: exp.CTE) -> bool:
    """True when `node` lies in the last branch of the CTE body's top-level UNION [ALL]."""
    body = cte.this
    if type(body) is not exp.Union:
        return False
    branch = body.expression
    ancestor: exp.Expr | None = node
    while ancestor is not None and ancestor is not cte:
        if ancestor is branch:
            return True
        ancestor = ancestor.parent
    return False
