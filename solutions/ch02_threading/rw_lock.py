"""A reader-writer lock (reference solution).

Readers only look, so any number may hold the lock together; a writer changes
things, so it needs the lock alone. All the state (which threads read and how
many times, which thread writes, how many writers wait) lives under one
Condition.

Writers are preferred: once a writer waits, new readers queue behind it.
Otherwise a steady stream of overlapping readers keeps the count above zero
forever and the writer starves. A hold belongs to its thread, so a release by
a thread that holds nothing is refused instead of letting someone else in.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Iterator


class RWLock:
    """A reader-writer lock that prefers writers (see the module's policy)."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._readers: dict[int, int] = {}  # thread id -> how many reads it holds
        self._writer: int | None = None  # the thread id of the writer inside
        self._writers_waiting = 0

    def acquire_read(self) -> None:
        """Wait until no writer holds the lock or waits for it, then enter as a reader."""
        me = threading.get_ident()
        with self._changed:
            self._changed.wait_for(lambda: self._writer is None and not self._writers_waiting)
            self._readers[me] = self._readers.get(me, 0) + 1

    def release_read(self) -> None:
        """Leave as a reader; the last reader out lets a waiting writer in.

        RuntimeError, changing nothing, when this thread holds no read.
        """
        me = threading.get_ident()
        with self._changed:
            held = self._readers.get(me, 0)
            if held == 0:
                raise RuntimeError("release_read() in a thread that holds no read lock")
            if held == 1:
                del self._readers[me]
            else:
                self._readers[me] = held - 1
            if not self._readers:
                self._changed.notify_all()

    def acquire_write(self) -> None:
        """Wait until nobody holds the lock, then hold it alone."""
        with self._changed:
            self._writers_waiting += 1
            try:
                self._changed.wait_for(lambda: self._writer is None and not self._readers)
            finally:
                self._writers_waiting -= 1
            self._writer = threading.get_ident()

    def release_write(self) -> None:
        """Give the lock up; wake everyone waiting.

        RuntimeError, changing nothing, when this thread does not hold the write lock.
        """
        with self._changed:
            if self._writer != threading.get_ident():
                raise RuntimeError("release_write() in a thread that does not hold the write lock")
            self._writer = None
            self._changed.notify_all()

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """`with lock.reading():` acquire_read, and release_read on the way out."""
        self.acquire_read()
        try:
            yield
        finally:
            self.release_read()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """`with lock.writing():` acquire_write, and release_write on the way out."""
        self.acquire_write()
        try:
            yield
        finally:
            self.release_write()
