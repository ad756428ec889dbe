"""Pool.map, imap and imap_unordered: chunk size against per-item cost, and order.

Run: python -m labs.ch03_multiprocessing.pool_chunks

Every task sent to a pool is pickled, written to a pipe, read by a worker,
unpickled, and its result makes the same trip back. For tiny work that trip
is nearly all the cost, and `chunksize` decides how many items share one trip.
Notice the time per item fall as chunks grow, steeply at first, then hardly at
all; and notice that imap_unordered hands results back as they finish.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import time

CHUNKSIZES = (1, 4, 16, 64, 256)
ITEMS = 2048


def square(x: int) -> int:
    return x * x


def pause_then_echo(x: float) -> float:
    """Wait x seconds (without burning CPU), then return x: long items finish last."""
    time.sleep(x)
    return x


def microseconds_per_item(pool, chunksize: int, count: int = ITEMS, repeats: int = 3):
    """Median wall time of pool.map(square, range(count), chunksize) per item, in us."""
    items = list(range(count))
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        results = pool.map(square, items, chunksize=chunksize)
        times.append(time.perf_counter() - started)
        assert results == [x * x for x in items], "the map returned wrong results"
    return statistics.median(times) / count * 1e6


def chunk_costs(context, chunksizes=CHUNKSIZES) -> list[float]:
    """Microseconds per item for each chunk size, on one warm pool of two workers."""
    with context.Pool(2) as pool:
        pool.map(square, range(4))  # warm up: the workers are started and have imported
        return [microseconds_per_item(pool, size) for size in chunksizes]


def orders(context) -> dict[str, list[float]]:
    """The order results come back in from imap and imap_unordered (long item first)."""
    delays = [0.3, 0.0, 0.1, 0.0]
    with context.Pool(2) as pool:
        return {
            "imap": list(pool.imap(pause_then_echo, delays)),
            "imap_unordered": list(pool.imap_unordered(pause_then_echo, delays)),
        }


def main() -> None:
    context = multiprocessing.get_context("forkserver")
    print(f"pool.map of {ITEMS} tiny items on 2 workers (pid {os.getpid()} waits)")
    for size, cost in zip(CHUNKSIZES, chunk_costs(context)):
        print(f"  chunksize {size:>4}: {cost:7.1f} us per item")
    for name, got in orders(context).items():
        print(f"{name:>15} of [0.3, 0.0, 0.1, 0.0] gave {got}")
    print("\nLarge chunks pay the trip once for many items; map and imap keep the")
    print("order of the items, imap_unordered gives each result as soon as it is done.")


if __name__ == "__main__":
    main()
