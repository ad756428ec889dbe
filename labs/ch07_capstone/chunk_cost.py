"""Chunk size against messaging cost, measured on the process pool and on Pyro.

Run: python -m labs.ch07_capstone.chunk_cost [--against exercises]

The work per item is tiny (`square`), so nearly all the time is messaging:
each chunk costs one message out and one back, whatever its size. Notice the
time per item fall as chunks grow, steeply at first and then hardly at all,
and notice that a Pyro call costs several times a process-pool task: the
bigger the cost of one message, the bigger the chunk that pays it off.
"""

from __future__ import annotations

import time

from course import workloads
from course.capstone import cluster
from labs.ch07_capstone._common import map_from_arguments

BACKENDS = ("processes", "pyro")
CHUNKSIZES = (1, 4, 16, 64, 256)
ITEMS = 1024


def microseconds_per_item(run_map, backend, chunksize: int, count=ITEMS) -> float:
    """Wall time of one map of `count` tiny items, per item, in microseconds."""
    items = list(range(count))
    started = time.perf_counter()
    results = run_map(workloads.square, items, backend, chunksize=chunksize)
    elapsed = time.perf_counter() - started
    assert results == [x * x for x in items], "the map returned wrong results"
    return elapsed / count * 1e6


def measure(run_map) -> dict[str, list[float]]:
    """Microseconds per item for each backend and chunk size (one warm cluster each)."""
    table = {}
    for name in BACKENDS:
        with cluster(name, workers=2) as backend:
            run_map(workloads.square, [0, 1], backend)  # warm up: workers import code
            table[name] = [
                microseconds_per_item(run_map, backend, size) for size in CHUNKSIZES
            ]
    return table


def main() -> None:
    run_map, which = map_from_arguments(__doc__.splitlines()[0])
    print(f"{ITEMS} items of `square` on 2 workers, microseconds per item ({which})\n")
    table = measure(run_map)
    print(f"{'chunksize':>10}" + "".join(f"{name:>12}" for name in table))
    for row, chunksize in enumerate(CHUNKSIZES):
        cells = "".join(f"{table[name][row]:>12.1f}" for name in table)
        print(f"{chunksize:>10}" + cells)
    for name, times in table.items():
        saving = times[0] / times[-1]
        print(f"\n{name}: chunks of {CHUNKSIZES[-1]} cost {saving:.0f}x less per item"
              " than chunks of 1")


if __name__ == "__main__":
    main()
