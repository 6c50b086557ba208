"""Rendered answers kept while the store is unchanged: the store-level half of the cached read path.

The HTTP side (sandbox/cached_reads.py) decides what is cacheable and builds the keys; this module
only keeps values for one store generation (`Store.generation()`), least recently used first out,
within a byte budget. Entries of an older generation are never served: the first look-up with a
newer one empties the cache, and an answer computed under an older one is not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

# About 2,000 Get Order answers per MiB; a 30-order Get Orders page is about 29 kB. make bench's reads of
# a 100,000-order world (1,200 orders by guid and by code, 920 Get Orders pages) keep about 34 MB: at
# 32 MiB its random pages were pushing each other out.
DEFAULT_BUDGET_BYTES = 64 * 1024 * 1024


class AnswerCache:
    """A bounded LRU of `(size, value)` entries for a single store generation. Thread-safe."""

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self._entries: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()
        self._generation: Hashable = None
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0  # answers served, for the tests and the benchmark

    def get(self, generation: Hashable, key: Hashable) -> Any | None:
        with self._lock:
            if generation != self._generation:
                self._entries.clear()
                self._size = 0
                self._generation = generation
                return None
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[1]

    def put(self, generation: Hashable, key: Hashable, value: Any, size: int) -> None:
        """Keep `value` (about `size` bytes) if the store is still at `generation`."""
        if size > self.budget_bytes:
            return
        with self._lock:
            if generation != self._generation:
                return  # the store changed while the answer was computed (or a newer look-up emptied it)
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= old[0]
            self._entries[key] = (size, value)
            self._size += size
            while self._size > self.budget_bytes:
                _, (dropped, _) = self._entries.popitem(last=False)
                self._size -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0
            self._generation = None

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """Bytes held (as the callers counted them)."""
        return self._size
