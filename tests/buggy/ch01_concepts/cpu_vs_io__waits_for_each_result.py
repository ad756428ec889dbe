"""Has a process pool, but waits for each result before submitting the next item.

`pool.submit(fn, x).result()` in a loop runs one call at a time: other processes,
no parallelism. Tasks 1 and 3 are right.
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
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp_context) as pool:
        return [pool.submit(fn, item).result() for item in items]


def run_io_bound(fn, items, *, workers):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))

