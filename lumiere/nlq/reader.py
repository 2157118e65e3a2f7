"""Reads a question against each table of a source and keeps the best reading: the one table
that places the most of the question (the suggestions check their questions with it too)."""

from __future__ import annotations

from collections.abc import Callable

from lumiere.core.engine import TableInfo, ValueMatch
from lumiere.core.semantics import SourceSemantics
from lumiere.nlq.linking import link
from lumiere.nlq.plan import Plan, Unplaced
from lumiere.nlq.planner import plan_question
from lumiere.nlq.schema import SchemaIndex, schema_index


def read_question(
    question: str,
    tables: list[TableInfo],
    find_values: Callable[[list[str]], list[ValueMatch]],
    semantics: SourceSemantics | None = None,
    dataset_key: str | None = None,
) -> tuple[SchemaIndex, Plan | None, Unplaced | None]:
    """Read the question against each table; keep the table that places the most of it (with the
    planner's refusal when no table gave a plan)."""
    readings: list[tuple[tuple[int, int], SchemaIndex, Plan | None, Unplaced | None]] = []
    for table in tables:
        schema = schema_index(table, semantics.columns if semantics else (), dataset_key)
        linked = link(question, schema, find_values)
        placed = sum(1 for m in linked.mentions if m.kind in ("column", "value", "table"))
        try:
            readings.append(((1, placed), schema, plan_question(linked), None))
        except Unplaced as unplaced:
            readings.append(((-len(unplaced.words), placed), schema, None, unplaced))
    _, schema, plan, refusal = max(readings, key=lambda reading: reading[0])
    return schema, plan, refusal
