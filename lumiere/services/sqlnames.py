"""How each database compares table and CTE names, so the SQL guard decides what a name means the
way the database will.

Python's `str.lower()` folds far more than the databases do (the Kelvin sign U+212A becomes "k"),
and a guard that matched a CTE name the database does not match leaves that name free to read a
real catalog view. So names are compared by the database's own rule, and names with letters that
some Unicode case mapping turns into plain ASCII are refused outright.
"""

from __future__ import annotations

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
