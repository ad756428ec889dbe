"""Buggy: no barrier between the phases.

Each step has its own row, and every worker reads its neighbours' cells of the
previous step from that row, but nothing makes it wait until the neighbours
have written them. A worker that runs ahead reads cells that still hold the
initial values: with lucky scheduling the answer is right, when one worker is
slow it is wrong.
"""

from __future__ import annotations

import threading
from typing import Callable, Sequence

LOSES = ["phases_never_mix", "every_schedule"]

Rule = Callable[[float, float, float], float]


def average(left: float, centre: float, right: float) -> float:
    return (left + centre + right) / 3


def simulate(cells: Sequence[float], steps: int, workers: int, rule: Rule = average) -> list[float]:
    n = len(cells)
    if not 1 <= workers <= n or steps < 0:
        raise ValueError("bad arguments")
    rows = [list(cells) for _ in range(steps + 1)]  # rows[k] = the cells after k steps
    size = -(-n // workers)
    errors: list[BaseException] = []

    def work(lo: int, hi: int) -> None:
        try:
            for k in range(1, steps + 1):
                old, new = rows[k - 1], rows[k]
                for i in range(lo, hi):
                    new[i] = rule(old[i - 1], old[i], old[(i + 1) % n])
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    bounds = [(lo, min(lo + size, n)) for lo in range(0, n, size)]
    while len(bounds) < workers:  # keep exactly `workers` threads
        lo, hi = max(bounds, key=lambda b: b[1] - b[0])
        bounds.remove((lo, hi))
        mid = (lo + hi) // 2
        bounds += [(lo, mid), (mid, hi)]
    threads = [threading.Thread(target=work, args=b) for b in bounds]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return list(rows[steps])
