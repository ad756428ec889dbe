"""Exercise: a reader-writer lock.

A cache, a routing table, a configuration: read all the time, written rarely.
A plain Lock makes every reader wait for every other reader. Build `RWLock`:

- any number of readers may hold it at once (acquire_read / release_read);
- a writer holds it alone: no reader and no other writer while it writes
  (acquire_write / release_write);
- a waiting writer is not starved: once a writer waits, readers that arrive
  after it wait until it has written (readers already inside finish first);
- release_read()/release_write() without the matching acquire: RuntimeError;
- reading() and writing() are context managers that release even on an exception.

Hint of a plan: one threading.Condition guarding a few counters.
"""

from __future__ import annotations

import contextlib
from typing import Iterator


class RWLock:
    def __init__(self) -> None:
        raise NotImplementedError("TODO: one Condition and the counters it guards")

    def acquire_read(self) -> None:
        """Wait until no writer holds the lock or waits for it, then enter as a reader."""
        raise NotImplementedError("TODO: acquire_read")

    def release_read(self) -> None:
        """Leave as a reader; the last reader out lets a waiting writer in."""
        raise NotImplementedError("TODO: release_read")

    def acquire_write(self) -> None:
        """Wait until nobody holds the lock, then hold it alone."""
        raise NotImplementedError("TODO: acquire_write")

    def release_write(self) -> None:
        """Give the lock up; wake everyone waiting."""
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
