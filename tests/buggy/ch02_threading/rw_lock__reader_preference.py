"""Buggy: readers are always preferred, so writers can starve.

The textbook first attempt: a reader enters whenever no writer is inside, even
when a writer has been waiting for a long time. While readers keep overlapping
(a busy cache), the reader count never drops to zero and the writer waits
forever. Sharing and exclusion are both right; only fairness is missing.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Iterator

LOSES = [4]


class RWLock:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._readers = 0
        self._writing = False

    def acquire_read(self) -> None:
        with self._changed:
            self._changed.wait_for(lambda: not self._writing)
            self._readers += 1

    def release_read(self) -> None:
        with self._changed:
            if self._readers == 0:
                raise RuntimeError("release_read() without acquire_read()")
            self._readers -= 1
            if self._readers == 0:
                self._changed.notify_all()

    def acquire_write(self) -> None:
        with self._changed:
            self._changed.wait_for(lambda: not self._writing and self._readers == 0)
            self._writing = True

    def release_write(self) -> None:
        with self._changed:
            if not self._writing:
                raise RuntimeError("release_write() without acquire_write()")
            self._writing = False
            self._changed.notify_all()

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        self.acquire_read()
        try:
            yield
        finally:
            self.release_read()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        self.acquire_write()
        try:
            yield
        finally:
            self.release_write()
