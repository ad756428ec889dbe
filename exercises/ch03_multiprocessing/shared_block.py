"""Hand a block of shared memory to worker processes instead of pickling the data.

Pickling copies every value into each worker and every result back. A
`multiprocessing.shared_memory.SharedMemory` block is mapped by every process
that opens it by name, so only the name and two slice bounds cross the
process boundary, and what a worker writes is there for the caller to read.
The block lives in /dev/shm until someone unlinks it: it outlives every
process, so the caller must unlink it on every path out, errors included,
and every process must close its own mapping first.
"""

from __future__ import annotations

import multiprocessing
from array import array
from multiprocessing.shared_memory import SharedMemory
from typing import Callable, Iterable

DOUBLE = "d"  # each value is one C double, 8 bytes


def slices(count: int, parts: int) -> list[tuple[int, int]]:
    """Split range(count) into `parts` contiguous (start, stop) slices, in order.

    Sizes differ by at most one, the larger ones first: 7 values in 3 parts are
    [(0, 3), (3, 5), (5, 7)]. Raise ValueError unless 1 <= parts <= count.
    """
    raise NotImplementedError("TODO: contiguous slices, sizes differing by at most one")


def apply_in_place(
    fn: Callable[[memoryview], object],
    values: Iterable[float],
    *,
    workers: int = 2,
    mp_context=None,
) -> list[float]:
    """Let `workers` processes change `values` in place in shared memory; return them.

    Copy the values as doubles into one new SharedMemory block. Split them with
    slices(len(values), min(workers, len(values))) and, in a pool of processes
    from `mp_context` (None: the default context), call fn(view) once per
    slice, where `view` is a memoryview of doubles (format "d") over that slice
    of the block, opened by the block's name in the worker: only the name and
    the bounds cross to the worker. fn changes the view in place (it is a
    module-level function; what it returns is ignored). Return the block's
    values afterwards as a list of floats.

    No values: return [] without starting anything. Raise ValueError if
    workers < 1, before creating anything. An exception raised by fn reaches
    the caller with its own type. On every return, normal or not, every
    process has closed its mapping and the caller has unlinked the block:
    nothing is left in /dev/shm.
    """
    raise NotImplementedError("TODO: copy into a SharedMemory block, let a pool change the slices, read back, release")
