"""A worker killed in the middle of a map, on processes, Pyro and Celery.

Run: python -m labs.ch07_capstone.worker_killed [--against exercises]

Two items of twelve kill the process that runs them (`os._exit(1)`, what a
segfault or the out-of-memory killer looks like from outside), once each.
Notice how each backend hears about it: the process pool and Pyro fail the
lost chunk's future with WorkerLost at once, so the map sends it again;
Celery redelivers the chunk by itself (the task is acknowledged late), so the
map sees only a slower chunk. Either way every result arrives exactly once,
in input order, and the items that crashed are exactly the two chosen.
"""

from __future__ import annotations

import tempfile
import time

from course import workloads
from course.capstone import cluster
from labs.ch07_capstone._common import map_from_arguments

BACKENDS = ("processes", "pyro", "celery")
ITEMS = 12
CRASHING = {3, 8}


def killed_mid_map(run_map, backend_name: str) -> dict:
    """Run a map in which items 3 and 8 kill their worker once; say what came back."""
    with tempfile.TemporaryDirectory() as markers:
        spared = [x for x in range(ITEMS) if x not in CRASHING]
        workloads.mark_survivors(markers, spared)
        items = [[x, markers] for x in range(ITEMS)]
        with cluster(backend_name, workers=2) as backend:
            pids_before = set(backend.worker_pids)
            started = time.perf_counter()
            results = run_map(workloads.crash_once, items, backend, chunksize=2)
            seconds = time.perf_counter() - started
            pids_after = set(backend.worker_pids)
        crashed = workloads.crashed(markers)
    return {
        "backend": backend_name,
        "once, in order": results == [x * x for x in range(ITEMS)],
        "crashed items": sorted(crashed),
        "new workers": len(pids_before - pids_after),
        "resent by map": getattr(run_map, "resent", "n/a"),
        "seconds": f"{seconds:.2f}",
    }


def main() -> None:
    run_map, which = map_from_arguments(__doc__.splitlines()[0])
    print(f"{ITEMS} items in chunks of 2; items {sorted(CRASHING)} each kill a worker"
          f" once ({which})\n")
    rows = [killed_mid_map(run_map, name) for name in BACKENDS]
    for cells in [list(rows[0])] + [[str(v) for v in row.values()] for row in rows]:
        print("".join(f"{cell:<16}" for cell in cells))
    print("\nNotice: processes and Pyro report the loss (the map resends the chunk);"
          "\nCelery redelivers it itself: the map resends nothing and waits longer.")


if __name__ == "__main__":
    main()
