"""Buggy: `if` instead of `while` around Condition.wait().

notify_all() wakes every waiter, but only the first one to get the lock finds
what it waited for. The others do not check again: a consumer pops from an
empty deque (IndexError), a producer appends to a full buffer (it grows past
its capacity).
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

LOSES = [4]


class BoundedBuffer:
    def __init__(self, capacity: int):
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity!r}")
        self.capacity = capacity
        self._items: deque[Any] = deque()
        self._changed = threading.Condition()

    def __len__(self) -> int:
        with self._changed:
            return len(self._items)

    def put(self, item: Any, timeout: float | None = None) -> None:
        with self._changed:
            if len(self._items) >= self.capacity:
                if not self._changed.wait(timeout):
                    raise TimeoutError("buffer full")
            self._items.append(item)
            self._changed.notify_all()

    def get(self, timeout: float | None = None) -> Any:
        with self._changed:
            if not self._items:
                if not self._changed.wait(timeout):
                    raise TimeoutError("buffer empty")
            item = self._items.popleft()
            self._changed.notify_all()
            return item
