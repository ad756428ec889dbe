"""Ignores mp_context: the process pool always uses the platform's default start method.

On Linux that is fork, so code that only works under fork (a function defined
in __main__, state set up before the pool) passes here and breaks on macOS or
Python 3.14, where the default is spawn or forkserver. Tasks 1 and 3 are right.
"""

import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

LOSES = ["cpu_in_processes"]


def cpu_share(fn, *, wall_clock=time.perf_counter, cpu_clock=time.thread_time):
    wall_start, cpu_start = wall_clock(), cpu_clock()
    fn()
    cpu, wall = cpu_clock() - cpu_start, wall_clock() - wall_start
    if wall <= 0:
        raise ValueError("no wall time")
    return cpu / wall


def classify(fn, *, threshold=0.5, wall_clock=time.perf_counter, cpu_clock=time.thread_time):
    share = cpu_share(fn, wall_clock=wall_clock, cpu_clock=cpu_clock)
    return "cpu-bound" if share >= threshold else "io-bound"


def run_cpu_bound(fn, items, *, workers, mp_context=None):
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))


def run_io_bound(fn, items, *, workers):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))
