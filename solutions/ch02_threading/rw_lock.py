"""A reader-writer lock (reference solution).

Readers only look, so any number may hold the lock together; a writer changes
things, so it needs the lock alone. All the state (how many readers are in,
whether a writer is in, how many writers wait) lives under one Condition.

Writers are preferred: once a writer waits, new readers queue behind it.
Otherwise a steady stream of overlapping readers keeps the count above zero
forever and the writer starves.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Iterator


class RWLock:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    def acquire_read(self) -> None:
        with self._changed:
            self._changed.wait_for(lambda: not self._writing and not self._writers_waiting)
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
            self._writers_waiting += 1
            try:
                self._changed.wait_for(lambda: not self._writing and self._readers == 0)
            finally:
                self._writers_waiting -= 1
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
