"""Runs I/O-bound work in processes: the calls overlap, but nothing they change comes back.

A closure cannot even be sent to another process, and a process works on a
copy of the caller's memory. Tasks 1 and 2 are right.
"""

LOSES = ["io_in_threads"]

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
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp_context) as pool:
        return list(pool.map(fn, items))


def run_io_bound(fn, items, *, workers):
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))
