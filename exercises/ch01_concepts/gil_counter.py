"""What the GIL does not protect: a read-modify-write.

The GIL lets one thread at a time run Python bytecode, so a single bytecode
(or one call into C, like list.append) is never interrupted halfway. But
`self.value = self.value + amount` is several steps: read, add, write. A
thread can be switched out after the read, and whatever other threads write
meanwhile is overwritten when it resumes: a lost update. Anything that gives
the scheduler a chance between the read and the write (I/O, a log line, a
call into a C extension that releases the GIL, `pause()` here) makes it likely.
"""

from __future__ import annotations

import threading
from typing import Callable


class Counter:
    """A counter that several threads may increment at once.

    The count starts at 0. `pause` (default: do nothing) stands for the slow
    work real code does between reading a value and writing the new one.
    increment() must call it exactly once, after reading the current value and
    before writing the new one. If pause() raises, the exception reaches the
    caller of increment(), the count is left as it was, and the counter goes
    on working for every thread.
    """

    def __init__(self, pause: Callable[[], None] | None = None):
        raise NotImplementedError("TODO: set up the counter's state")

    def increment(self, amount: int = 1) -> None:
        """Add `amount` (any int: 0 and negative amounts too): read the value, call pause(), write value + amount.

        No other increment may slip in between this one's read and its write,
        however the threads are scheduled: the GIL alone does not ensure it.
        """
        raise NotImplementedError("TODO: a read-modify-write no other thread can interleave with")

    @property
    def value(self) -> int:
        """The current count (an int)."""
        raise NotImplementedError("TODO: return the count")


def count_concurrently(counter, *, threads: int, per_thread: int) -> int:
    """Have `threads` new threads call counter.increment() `per_thread` times each; return counter.value.

    The threads must all be running at the same time (start every one before
    waiting for any), and every one must have finished when this returns.
    Each thread calls increment() with no argument. `counter` is anything with
    increment() and value (not only a Counter), and its count need not start at
    0: return its value as read after every thread has finished.
    threads = 1 and per_thread = 0 are allowed. Raise ValueError if threads < 1
    or per_thread < 0, before starting any thread.
    """
    raise NotImplementedError("TODO: start the threads, then wait for all of them")
