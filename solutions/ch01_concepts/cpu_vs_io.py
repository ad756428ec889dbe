"""CPU-bound or I/O-bound? Pick processes or threads accordingly.

A CPU-bound call spends its time computing: its CPU time is close to its wall
time. Under CPython's GIL only one thread of a process runs Python bytecode at
a time, so CPU-bound Python code needs several *processes* to use several cores.

An I/O-bound call spends its time waiting (network, disk, a sleep, a lock):
its CPU time is a small part of its wall time. While a thread waits it releases
the GIL, so *threads* overlap the waiting cheaply, and they share the caller's
memory, which processes do not.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def cpu_share(fn: Callable[[], object], *, wall_clock=time.perf_counter, cpu_clock=time.thread_time) -> float:
    """Call fn() once; return the CPU time it used divided by the wall time it took."""
    wall_start, cpu_start = wall_clock(), cpu_clock()
    fn()
    cpu, wall = cpu_clock() - cpu_start, wall_clock() - wall_start
    if wall <= 0:
        raise ValueError("fn took no measurable wall time; give it more work")
    return cpu / wall


def classify(fn: Callable[[], object], *, threshold: float = 0.5, wall_clock=time.perf_counter, cpu_clock=time.thread_time) -> str:
    """'cpu-bound' if fn's CPU share is at least `threshold`, else 'io-bound'."""
    share = cpu_share(fn, wall_clock=wall_clock, cpu_clock=cpu_clock)
    return "cpu-bound" if share >= threshold else "io-bound"


def run_cpu_bound(fn: Callable[[T], R], items: Iterable[T], *, workers: int, mp_context=None) -> list[R]:
    """fn(item) for every item, in `workers` processes at once; results in item order."""
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp_context) as pool:
        return list(pool.map(fn, items))


def run_io_bound(fn: Callable[[T], R], items: Iterable[T], *, workers: int) -> list[R]:
    """fn(item) for every item, in `workers` threads at once; results in item order."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))
