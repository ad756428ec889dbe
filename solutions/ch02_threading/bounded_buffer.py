"""A bounded buffer on one Condition (reference solution).

Producers wait while the buffer is full, consumers while it is empty, all on
the same Condition. Two rules make it correct:

- wait in a `while` loop (here: `wait_for`): a woken thread must re-check, because
  another thread may have taken the item or the free slot first;
- `notify_all`, not `notify`: producers and consumers sleep on the same
  Condition, so a single notify can wake a thread of the wrong kind, which goes
  back to sleep, while the thread that could proceed is never woken.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any


class BoundedBuffer:
    """A FIFO buffer of at most `capacity` items (capacity < 1: ValueError).

    Any object is an item, None and other false values included. `timeout`, in
    put and get: None waits as long as it takes; a number of seconds is a
    deadline counted from the call and kept across every wake-up; 0 does not
    wait at all (TimeoutError at once when the buffer is full, for put, or
    empty, for get). A call that raises TimeoutError changes nothing.
    """

    def __init__(self, capacity: int):
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity!r}")
        self.capacity = capacity
        self._items: deque[Any] = deque()
        self._changed = threading.Condition()

    def __len__(self) -> int:
        """How many items are in the buffer now."""
        with self._changed:
            return len(self._items)

    def put(self, item: Any, timeout: float | None = None) -> None:
        """Add `item` at the end, waiting while the buffer is full; TimeoutError after `timeout` s."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._items) < self.capacity, timeout):
                raise TimeoutError(f"buffer still full after {timeout} s")
            self._items.append(item)
            self._changed.notify_all()

    def get(self, timeout: float | None = None) -> Any:
        """Remove and return the oldest item, waiting while empty; TimeoutError after `timeout` s."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._items, timeout):
                raise TimeoutError(f"buffer still empty after {timeout} s")
            item = self._items.popleft()
            self._changed.notify_all()
            return item
