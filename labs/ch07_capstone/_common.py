"""What the capstone labs share: a deliberately simple map, and a way to use yours.

The labs show what the *runtime* does (a worker dying, a chunk's messaging
cost); they do not show the graded `dmap`. By default they run `simple_map`
below, which is correct only in the easy cases: it submits everything at once
(no bound on work in flight), waits for chunks in order (no overlap of waiting
and handing over), and knows nothing about timeouts or bad items. Pass
`--against exercises` to run the same lab on your own `dmap` instead.
"""

from __future__ import annotations

import argparse
from typing import Callable

from course.capstone import Backend, WorkerLost

RETRIES = 3  # a lost chunk is sent again at most this many times


def simple_map(fn: Callable, items: list, backend: Backend, chunksize: int = 1) -> list:
    """Every chunk submitted at once, results taken in order; a lost chunk is resent.

    Returns the results and, in `simple_map.resent`, how many chunks were resent.
    """
    task = backend.prepare(fn)
    chunks = [items[i:i + chunksize] for i in range(0, len(items), chunksize)]
    futures = [backend.submit(task, chunk) for chunk in chunks]
    results: list = []
    simple_map.resent = 0
    for chunk, future in zip(chunks, futures):
        for _ in range(RETRIES + 1):
            try:
                outcome = future.result()
                break
            except WorkerLost:  # the worker died with this chunk: send it again
                simple_map.resent += 1
                future = backend.submit(task, chunk)
        else:
            raise WorkerLost(f"a chunk was lost {RETRIES + 1} times")
        if not outcome["ok"]:
            raise RuntimeError(f"{outcome['type']}: {outcome['message']}")
        results += outcome["results"]
    return results


def map_from_arguments(description: str) -> tuple[Callable, str]:
    """The map to run, from the command line: `simple_map` or a tree's `dmap`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--against", metavar="TREE",
        help="run this tree's dmap (exercises, or a path), not the lab's simple map",
    )
    tree = parser.parse_args().against
    if tree is None:
        return simple_map, "the lab's simple_map"
    from course import catalogue

    loaded = catalogue.load()
    dmap = loaded.import_module(loaded.exercise("dmap"), tree).dmap

    def tree_map(fn, items, backend, chunksize=1):
        return dmap(fn, items, backend=backend, chunksize=chunksize, timeout=60)

    return tree_map, f"dmap from {tree}"
