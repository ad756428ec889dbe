"""Exercise: a reader-writer lock.

A cache, a routing table, a configuration: read all the time, written rarely.
A plain Lock makes every reader wait for every other reader. Build `RWLock`
with exactly this policy:

- any number of readers may hold it at once (acquire_read / release_read);
- a writer holds it alone: no reader and no other writer while it writes
  (acquire_write / release_write);
- writers are preferred, so a waiting writer is not starved: once a writer
  waits, readers that arrive after it wait until it has written (readers
  already inside finish first); when a writer leaves, the writers still
  waiting go before the waiting readers; when no writer waits, every waiting
  reader gets in at once;
- a hold belongs to the thread that took it: release_read() in a thread that
  holds no read, or release_write() in a thread that does not hold the write
  lock, raises RuntimeError and changes nothing, even while other threads
  hold the lock;
- reading() and writing() are context managers that release even on an exception.

The lock is not reentrant: a thread may take the read lock again while it
reads (one release_read per acquire_read) as long as no writer waits; any other
nested acquisition waits forever.

Hint of a plan: one threading.Condition guarding a few counters, and
threading.get_ident() to know who holds what.
"""

from __future__ import annotations

import contextlib
from typing import Iterator


class RWLock:
    """A reader-writer lock that prefers writers (see the module's policy)."""

    def __init__(self) -> None:
        raise NotImplementedError("TODO: one Condition and the counters it guards")

    def acquire_read(self) -> None:
        """Wait until no writer holds the lock or waits for it, then enter as a reader."""
        raise NotImplementedError("TODO: acquire_read")

    def release_read(self) -> None:
        """Leave as a reader; the last reader out lets a waiting writer in.

        RuntimeError, changing nothing, when this thread holds no read.
        """
        raise NotImplementedError("TODO: release_read")

    def acquire_write(self) -> None:
        """Wait until nobody holds the lock, then hold it alone."""
        raise NotImplementedError("TODO: acquire_write")

    def release_write(self) -> None:
        """Give the lock up; wake everyone waiting.

        RuntimeError, changing nothing, when this thread does not hold the write lock.
        """
        raise NotImplementedError("TODO: release_write")

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """`with lock.reading():` acquire_read, and release_read on the way out."""
        raise NotImplementedError("TODO: reading")
        yield

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """`with lock.writing():` acquire_write, and release_write on the way out."""
        raise NotImplementedError("TODO: writing")
        yield
