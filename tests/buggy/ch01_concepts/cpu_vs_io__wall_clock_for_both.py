"""Measures 'CPU time' with the wall clock (time.perf_counter for both), and inverts the share.

Waiting then looks exactly like computing, and wall / cpu puts a busy call
below the threshold. Tasks 2 and 3 are right.
"""

import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

LOSES = ["classify"]


def cpu_share(fn, *, wall_clock=time.perf_counter, cpu_clock=time.perf_counter):
    wall_start, cpu_start = wall_clock(), cpu_clock()
    fn()
    cpu, wall = cpu_clock() - cpu_start, wall_clock() - wall_start
    if cpu <= 0:
        raise ValueError("no time")
    return wall / cpu


def classify(fn, *, threshold=0.5, wall_clock=time.perf_counter, cpu_clock=time.perf_counter):
    share = cpu_share(fn, wall_clock=wall_clock, cpu_clock=cpu_clock)
    return "cpu-bound" if share >= threshold else "io-bound"


def run_cpu_bound(fn, items, *, workers, mp_context=None):
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp_context) as pool:
        return list(pool.map(fn, items))


def run_io_bound(fn, items, *, workers):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))

