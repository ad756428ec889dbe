"""A histogram in shared memory, updated by several processes.

`multiprocessing.Array` puts the counters in memory every worker maps, with a
lock beside them. `histogram[i] += 1` is a read, an add and a write; the GIL
does not help here (each process has its own), so two processes that read the
same old value both write old + 1 and one update is lost. Only holding the
array's own lock (`get_lock()`, shared by every process) from the read to the
write prevents it; a lock made inside each worker protects nothing.
"""

from __future__ import annotations

import multiprocessing
from typing import Callable, Iterable


def _no_pause() -> None:
    pass


def make_histogram(bins: int, mp_context=None):
    """A shared array of `bins` integer counters, all zero, with its lock.

    Made from `mp_context` (None: the default context) so it can be handed to
    that context's processes. Raise ValueError if bins < 1.
    """
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins!r}")
    return (mp_context or multiprocessing.get_context()).Array("q", bins)


def add(histogram, index: int, pause: Callable[[], None] = _no_pause) -> None:
    """Add one to histogram[index], safely against every other process.

    Read the counter, call pause() once (tests pass a call that lets another
    process run right there), then write the value read plus one, holding
    histogram.get_lock() from before the read until after the write. Raise
    IndexError for an index outside 0 .. len(histogram) - 1 (a negative index
    too), without calling pause or changing anything.
    """
    if not 0 <= index < len(histogram):
        raise IndexError(f"bin {index!r} is not in range({len(histogram)})")
    with histogram.get_lock():
        value = histogram[index]
        pause()
        histogram[index] = value + 1


def _count(histogram, items: list[int], pause: Callable[[], None]) -> None:
    for item in items:
        add(histogram, item, pause)


def histogram_in_processes(
    items: Iterable[int],
    bins: int,
    *,
    workers: int = 2,
    mp_context=None,
    pause: Callable[[], None] | None = None,
) -> list[int]:
    """Count how often each bin occurs in `items`, in `workers` processes at once.

    Make the histogram with make_histogram(bins, mp_context) and hand it to
    `workers` processes started from `mp_context`; item number i goes to worker
    i % workers, which calls add(histogram, item, pause) for each of its items
    (pause None: no pause). Join every worker, then return the counts as a
    list of ints. Raise ValueError, before starting anything, if bins < 1,
    workers < 1 or an item is not in 0 .. bins - 1. Raise RuntimeError if a
    worker process fails (a non-zero exit code).
    """
    items = list(items)
    histogram = make_histogram(bins, mp_context)
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers!r}")
    if any(not 0 <= item < bins for item in items):
        raise ValueError(f"every item must be a bin in range({bins}), got {items!r}")
    context = mp_context or multiprocessing.get_context()
    processes = [
        context.Process(target=_count, args=(histogram, items[worker::workers], pause or _no_pause))
        for worker in range(workers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    failed = [process.exitcode for process in processes if process.exitcode != 0]
    if failed:
        raise RuntimeError(f"a worker process failed (exit codes {failed})")
    return list(histogram)
