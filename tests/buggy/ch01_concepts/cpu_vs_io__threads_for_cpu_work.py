"""Runs CPU-bound work in a thread pool: the calls overlap, but in this one process.

Under the GIL only one of those threads computes at a time, so CPU-bound Python
gains nothing (the workers all report the caller's PID). Tasks 1 and 3 are right.
"""

LOSES = ["cpu_in_processes"]

import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor


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
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))


def run_io_bound(fn, items, *, workers):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))

