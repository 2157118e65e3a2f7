"""A cursor over the question's mentions: the lookups every pass makes around a position."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeGuard

from lumiere.nlq.mention import Mention

# Mentions that carry no meaning of their own: skipped when looking for the next or previous one.
SKIPPED_KINDS = ("stop", "filler", "punct")


@dataclass
class Cursor:
    mentions: list[Mention]

    def next_index(self, i: int | None, skip: tuple[str, ...] = SKIPPED_KINDS) -> int | None:
        """Index of the first mention after `i` whose kind is not skipped
        (None when `i` is None, so lookups chain like `at` and `is_keyword`)."""
        if i is None:
            return None
        j = i + 1
        while j < len(self.mentions):
            if self.mentions[j].kind in skip:
                j += 1
                continue
            return j
        return None

    def previous_index(self, i: int | None, skip: tuple[str, ...] = SKIPPED_KINDS) -> int | None:
        """Index of the last mention before `i` whose kind is not skipped
        (None when `i` is None, so lookups chain like `at` and `is_keyword`)."""
        if i is None:
            return None
        j = i - 1
        while j >= 0:
            if self.mentions[j].kind in skip:
                j -= 1
                continue
            return j
        return None

    def is_index(self, i: int | None) -> TypeGuard[int]:
        """Whether `i` points at a mention: not None and in range, so `mentions[i]` is safe."""
        return i is not None and 0 <= i < len(self.mentions)

    def at(self, i: int | None) -> Mention | None:
        """The mention at `i`, or None when there is none (`i` None or out of range)."""
        return self.mentions[i] if self.is_index(i) else None

    def is_keyword(self, i: int | None, *tags: str) -> TypeGuard[int]:
        """Whether the mention at `i` is a known phrase with one of these tags (so `i` is an index)."""
        mention = self.at(i)
        return mention is not None and mention.kind == "kw" and any(mention.has(tag) for tag in tags)
