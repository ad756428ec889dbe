"""Buggy: a failing worker leaves the others waiting at the barrier forever.

The phases are right, the threads are joined. But when `rule` raises in one
worker, that worker's thread ends and never reaches the barrier again; the
other workers wait for it forever, and simulate() waits forever in join().
It should catch the error, call barrier.abort() (the others then get
BrokenBarrierError) and re-raise the error after joining.
"""

from __future__ import annotations

import threading
from typing import Callable, Sequence

LOSES = ["stop_and_join", "every_schedule"]

Rule = Callable[[float, float, float], float]


def average(left: float, centre: float, right: float) -> float:
    return (left + centre + right) / 3


def simulate(cells: Sequence[float], steps: int, workers: int, rule: Rule = average) -> list[float]:
    n = len(cells)
    if not 1 <= workers <= n or steps < 0:
        raise ValueError("bad arguments")
    buffers = [list(cells), [0.0] * n]
    barrier = threading.Barrier(workers, action=buffers.reverse)
    size, extra = divmod(n, workers)
    parts, lo = [], 0
    for w in range(workers):
        hi = lo + size + (1 if w < extra else 0)
        parts.append(range(lo, hi))
        lo = hi

    def work(mine: range) -> None:
        for _ in range(steps):
            old, new = buffers
            for i in mine:
                new[i] = rule(old[i - 1], old[i], old[(i + 1) % n])
            barrier.wait()

    threads = [threading.Thread(target=work, args=(part,)) for part in parts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return list(buffers[0])
