"""Exercise: a bounded buffer on one Condition.

`queue.Queue` already does this; here you build it yourself, to learn the
pattern every blocking queue, pool and connection limiter uses inside.

BoundedBuffer(capacity) holds at most `capacity` items, first in, first out.
`put` blocks while the buffer is full, `get` while it is empty. Both take an
optional `timeout` (seconds; None waits forever) and raise TimeoutError when
it passes.

Use ONE `threading.Condition`, kept in an attribute of the buffer, with a
`collections.deque` for the items, for both producers and consumers. Three
hazards to avoid:
- a woken thread is not guaranteed to find what it waited for (another thread
  may have been faster): check again after every wait;
- producers and consumers sleep on the same Condition, so a wakeup sent to
  "one waiter" may go to a thread of the wrong kind, and the thread that
  could proceed sleeps on (a lost wakeup);
- a timeout is a deadline: a thread woken for nothing (another thread's
  notification) waits only for what is left of it, not for `timeout` again.
"""

from __future__ import annotations

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
        raise NotImplementedError("TODO: a deque, the capacity and one threading.Condition")

    def __len__(self) -> int:
        """How many items are in the buffer now."""
        raise NotImplementedError("TODO: the number of items")

    def put(self, item: Any, timeout: float | None = None) -> None:
        """Add `item` at the end, waiting while the buffer is full; TimeoutError after `timeout` s."""
        raise NotImplementedError("TODO: wait for room, append, wake the waiters")

    def get(self, timeout: float | None = None) -> Any:
        """Remove and return the oldest item, waiting while empty; TimeoutError after `timeout` s."""
        raise NotImplementedError("TODO: wait for an item, pop it, wake the waiters")
