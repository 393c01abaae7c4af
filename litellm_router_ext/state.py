"""Small pieces of routing state that outlive one request.

``ConversationMemory`` remembers the highest tier a conversation reached, keyed by a digest of the
conversation so far, so a follow-up ("ok, do it") does not drop to the bottom tier. The default is a
bounded in-process LRU; a shared store (Redis) implements the same Protocol.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Protocol


class ConversationMemory(Protocol):
    def get(self, key: str) -> int | None: ...

    def put(self, key: str, tier_index: int) -> None: ...


class InMemoryConversationMemory:
    """Thread-safe LRU of conversation digest -> tier index (bounded, so it never grows without limit)."""

    def __init__(self, max_entries: int = 50_000) -> None:
        self._entries: OrderedDict[str, int] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def get(self, key: str) -> int | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: str, tier_index: int) -> None:
        with self._lock:
            self._entries[key] = max(tier_index, self._entries.get(key, -1))
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
