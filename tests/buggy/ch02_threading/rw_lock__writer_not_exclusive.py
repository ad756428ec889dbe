"""Buggy: a writer waits for the readers to leave, but does not keep anyone out.

acquire_write() waits until the reader count is zero and returns, without
recording that a writer is inside. Readers arriving next walk straight in, and
so does a second writer: readers see half-written records and writes interleave.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Iterator

LOSES = ["exclusive_writer", "every_schedule"]


class RWLock:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._readers = 0
        self._writers = 0

    def acquire_read(self) -> None:
        with self._changed:
            self._readers += 1

    def release_read(self) -> None:
        with self._changed:
            if self._readers == 0:
                raise RuntimeError("release_read() without acquire_read()")
            self._readers -= 1
            self._changed.notify_all()

    def acquire_write(self) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self._readers == 0)
            self._writers += 1

    def release_write(self) -> None:
        with self._changed:
            if self._writers == 0:
                raise RuntimeError("release_write() without acquire_write()")
            self._writers -= 1
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
