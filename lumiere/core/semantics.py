"""The semantic layer of a source: what its columns and coded values mean in everyday words.

Both engines read it: the built-in engine links question words to columns and values through the
synonyms, the LLM prompt carries the descriptions and units. It is pre-filled with what Lumiere
infers from the data and edited by the user on the source page or with
`PATCH /api/data/source/{id}/semantics`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ValueMeaning:
    """A stored value (`Mon`, `F`, `USA`) and the everyday words that name it (`Monday`, `female`)."""

    stored: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class ColumnMeaning:
    table: str
    column: str
    description: str = ""
    synonyms: tuple[str, ...] = ()
    unit: str = ""  # "$", "%", "kg", "minutes" ... shown beside numbers in answers
    values: tuple[ValueMeaning, ...] = ()


@dataclass(frozen=True)
class SourceSemantics:
    columns: tuple[ColumnMeaning, ...] = field(default_factory=tuple)

    def column(self, table: str, column: str) -> ColumnMeaning | None:
        for meaning in self.columns:
            if meaning.table == table and meaning.column == column:
                return meaning
        return None
