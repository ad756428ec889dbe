"""Buggy: the worker threads are never stopped or joined.

A persistent crew: the caller and the workers meet at a barrier to start each
step and again to end it, which keeps the phases apart correctly. But after the
last step simulate() just returns the result; the workers (daemon threads, so
the program can still exit) wait at the barrier for a next step that never
comes. Every call leaks `workers` blocked threads. It should abort the barrier
(or send a stop flag) and join them.
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
    start = threading.Barrier(workers + 1)
    end = threading.Barrier(workers + 1, action=buffers.reverse)
    errors: list[BaseException] = []
    size, extra = divmod(n, workers)
    parts, lo = [], 0
    for w in range(workers):
        hi = lo + size + (1 if w < extra else 0)
        parts.append(range(lo, hi))
        lo = hi

    def work(mine: range) -> None:
        while True:
            start.wait()
            old, new = buffers
            try:
                for i in mine:
                    new[i] = rule(old[i - 1], old[i], old[(i + 1) % n])
            except BaseException as error:  # noqa: BLE001
                errors.append(error)
            end.wait()

    for part in parts:
        threading.Thread(target=work, args=(part,), daemon=True).start()
    for _ in range(steps):
        start.wait()
        end.wait()
        if errors:
            raise errors[0]
    return list(buffers[0])
