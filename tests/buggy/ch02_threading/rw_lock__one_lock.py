"""Buggy: readers exclude each other.

Both reading and writing take the same (reentrant) lock. Nothing is ever corrupted,
and every single-thread test passes, but readers queue one by one: a
reader-writer lock that is just a Lock, with none of the benefit.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Iterator

LOSES = ["shared_readers", "every_schedule"]


class RWLock:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._readers = 0
        self._writing = False

    def acquire_read(self) -> None:
        self._lock.acquire()
        self._readers += 1

    def release_read(self) -> None:
        if self._readers == 0:
            raise RuntimeError("release_read() without acquire_read()")
        self._readers -= 1
        self._lock.release()

    def acquire_write(self) -> None:
        self._lock.acquire()
        self._writing = True

    def release_write(self) -> None:
        if not self._writing:
            raise RuntimeError("release_write() without acquire_write()")
        self._writing = False
        self._lock.release()

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
