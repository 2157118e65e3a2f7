"""A thread-safe least-recently-used map bounded by entries and by bytes, whose entries may expire.

The in-process caches (query results, per-dataset indexes) must not grow with the number of
datasets or questions: each entry carries its size (exact for bytes, an estimate for objects), and
the oldest entries go once either bound is passed.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True)
class _Entry(Generic[V]):
    value: V
    size: int
    expires_at: float | None


class BoundedLru(Generic[K, V]):
    """At most `max_entries` entries and `max_bytes` bytes; a value over `max_entry_bytes` (by default a
    tenth of `max_bytes`, so one huge entry cannot flush everything else) is not kept."""

    def __init__(self, max_entries: int, max_bytes: int, max_entry_bytes: int | None = None) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_bytes // 10 if max_entry_bytes is None else max_entry_bytes
        self._entries: OrderedDict[K, _Entry[V]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.expires_at is not None and time.monotonic() >= entry.expires_at:
                self._remove(key)
                return None
            self._entries.move_to_end(key)
            return entry.value

    def put(self, key: K, value: V, size: int, ttl_s: float | None = None) -> bool:
        """Keep `value` (True), or not when it is too big for the bounds (False)."""
        if self.max_entries < 1 or size > self.max_entry_bytes:
            return False
        expires_at = time.monotonic() + ttl_s if ttl_s is not None else None
        with self._lock:
            if key in self._entries:
                self._remove(key)
            self._entries[key] = _Entry(value, size, expires_at)
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                self._remove(next(iter(self._entries)))
        return True

    def drop(self, unwanted: Callable[[K], bool]) -> int:
        """Remove every entry whose key is `unwanted`; how many went."""
        with self._lock:
            keys = [key for key in self._entries if unwanted(key)]
            for key in keys:
                self._remove(key)
            return len(keys)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def _remove(self, key: K) -> None:
        self._bytes -= self._entries.pop(key).size
