"""What a DuckDB plan reads, judged from DuckDB's own binding rather than from a SQL parser's reading.

The guard reads the SQL with sqlglot; DuckDB may bind a name differently (a CTE that does not see
itself, Unicode case folding). The bound plan names the table or table function behind every scan,
so a query whose plan reads anything but the user's tables is refused whatever the text looked like.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

# Leaf operators that read nothing stored: constants, VALUES, CTE and delim buffers, empty results.
HARMLESS_SOURCES = frozenset({
    "DUMMY_SCAN", "EMPTY_RESULT", "COLUMN_DATA_SCAN", "CHUNK_SCAN", "DELIM_SCAN", "EXPRESSION_SCAN",
    "CTE_SCAN", "REC_CTE_SCAN", "RECURSIVE_CTE_SCAN", "RECURRING_CTE_SCAN",
})
# Operators that scan a stored table; the plan names the table as `catalog.schema.table`.
TABLE_SCANS = frozenset({"SEQ_SCAN", "TABLE_SCAN", "INDEX_SCAN"})
# Operators that call a table function on rows of their input (e.g. a LATERAL range()).
TABLE_FUNCTION_OPERATORS = frozenset({"INOUT_FUNCTION"})


def foreign_reads(
    plan: list[dict[str, Any]], tables: Collection[str] | None, *, catalog: str, schema: str = "main"
) -> list[str]:
    """What `plan` (DuckDB's `EXPLAIN (FORMAT JSON)`) reads besides `catalog.schema.<one of tables>`.

    `tables` None allows every table of `catalog.schema`.
    Every node that names a table must name an allowed one; every node that names a table function
    is foreign; a leaf must be an allowed table scan or a harmless source. Unknown leaves count as
    foreign, so an operator DuckDB adds later is refused until it is known. Names compare exactly,
    as the catalog spells them. Empty means the plan reads only the user's tables.
    """
    found: list[str] = []
    for node in _nodes(plan):
        name = str(node.get("name", "")).strip()
        info = node.get("extra_info") or {}
        children = node.get("children") or []
        if "Table" in info:
            table = str(info["Table"])
            parts = split_qualified_name(table)
            allowed = parts[:2] == [catalog, schema] and len(parts) == 3 and (tables is None or parts[2] in tables)
            if not allowed or name not in TABLE_SCANS:
                found.append(f"{name} {table}")
        elif "Function" in info or name in TABLE_FUNCTION_OPERATORS:
            found.append(f"{name} {info.get('Function') or info.get('Name') or ''}".strip())
        elif not children and name not in HARMLESS_SOURCES:
            found.append(name or "an unnamed operator")
    return found


def split_qualified_name(text: str) -> list[str]:
    """`dataset.main."we.ird ""t"` -> ['dataset', 'main', 'we.ird "t']: dots split, double quotes group."""
    parts: list[str] = []
    current: list[str] = []
    index, quoted = 0, False
    while index < len(text):
        char = text[index]
        if quoted:
            if char == '"' and text[index + 1:index + 2] == '"':
                current.append('"')
                index += 1
            elif char == '"':
                quoted = False
            else:
                current.append(char)
        elif char == '"':
            quoted = True
        elif char == ".":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    return parts


def _nodes(plan: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    stack = list(plan)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            yield node
            stack.extend(node.get("children") or [])
