"""A question's words as linked to the schema: one Mention per span (a value, a column, a keyword,
a number ...), and the linked question the planner reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lumiere.nlq.lexicon import Token
from lumiere.nlq.plan import Derived
from lumiere.nlq.schema import ColumnRef, SchemaIndex


@dataclass
class Mention:
    kind: str  # value | column | table | number | quoted | kw | stop | filler | unknown | punct
    start: int
    end: int
    text: str
    tags: list[tuple[str, Any]] = field(default_factory=list)  # kw: (tag, payload) readings
    columns: list[ColumnRef] = field(default_factory=list)  # column: candidates, best first
    values: list[tuple[ColumnRef, Any]] = field(default_factory=list)  # value: (column, stored value)
    number: float | None = None
    coverage: float = 0.0
    also_table: bool = False  # a column named like the table itself (`Airline` in airlines)
    row_noun: bool = False  # a table mention by a generic word: rows, records, entries
    said_with_row_noun: bool = False  # a column after the rows' noun: "which animal sleeps ..."
    used: bool = False
    reading: str = ""  # how an everyday word was read ("I read 'horsepower' as hp"), for the explanation

    def has(self, tag: str) -> bool:
        return any(t == tag for t, _ in self.tags)

    def payload(self, tag: str) -> Any:
        return next((p for t, p in self.tags if t == tag), None)

    @property
    def low(self) -> str:
        return self.text.lower()

    @property
    def column(self) -> ColumnRef:
        return self.columns[0]


@dataclass
class Linked:
    tokens: list[Token]
    mentions: list[Mention]
    schema: SchemaIndex
    summary_rows: list[tuple[ColumnRef, Any]] = field(default_factory=list)  # ("Nation", "Total")
    derived: list[Derived] = field(default_factory=list)  # "A minus B": numbers worked out per row


def distinct_mentions(taken: list[Mention | None]) -> list[Mention]:
    """The mentions of a question in order, each once (a mention spans one entry per token)."""
    unique: list[Mention] = []
    for mention in taken:
        if mention is not None and (not unique or unique[-1] is not mention):
            unique.append(mention)
    return unique
