"""When a word cannot be placed: the columns and values of the data that look most like it, named
in the refusal and offered as the question rewritten with each (clickable suggestions)."""

from __future__ import annotations

import difflib
import re

from lumiere.core.engine import TableInfo
from lumiere.nlq.schema import split_identifier

MAX_CLOSEST = 3
_CUTOFF = 0.6


def closest_names(word: str, tables: list[TableInfo]) -> list[str]:
    """Column names (by their words, `hh_size` → "hh size") and sample values nearest to `word`."""
    spelled: dict[str, str] = {}
    for table in tables:
        for column in table.columns:
            spelled.setdefault(column.name.lower(), column.name)
            spelled.setdefault(" ".join(split_identifier(column.name)).lower(), column.name)
            for sample in column.samples:
                if isinstance(sample, str) and 0 < len(sample) <= 60:
                    spelled.setdefault(sample.lower(), sample)
    found: list[str] = []
    for match in difflib.get_close_matches(word.lower(), list(spelled), n=MAX_CLOSEST * 2, cutoff=_CUTOFF):
        name = spelled[match]
        if name not in found:
            found.append(name)
    return found[:MAX_CLOSEST]


def rewritten_questions(question: str, word: str, names: list[str]) -> list[str]:
    """The question with `word` replaced by each close name, once."""
    pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)
    return [pattern.sub(name, question, count=1) for name in names if pattern.search(question)]
