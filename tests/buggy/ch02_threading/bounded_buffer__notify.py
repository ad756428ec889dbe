"""Buggy: notify() instead of notify_all() on a Condition shared by producers and consumers.

Each waiter re-checks in a while loop, so nothing is ever taken twice, but a
single notify() wakes whichever thread waited first. When consumers and a
producer are asleep together, the consumer that takes an item wakes the other
consumer (who finds the buffer empty and sleeps again) instead of the producer,
who then sleeps forever although there is room: a lost wakeup.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

LOSES = ["no_lost_wakeup", "every_schedule"]


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
            while len(self._items) >= self.capacity:
                if not self._changed.wait(timeout):
                    raise TimeoutError("buffer full")
            self._items.append(item)
            self._changed.notify()

    def get(self, timeout: float | None = None) -> Any:
        with self._changed:
            while not self._items:
                if not self._changed.wait(timeout):
                    raise TimeoutError("buffer empty")
            item = self._items.popleft()
            self._changed.notify()
            return item
