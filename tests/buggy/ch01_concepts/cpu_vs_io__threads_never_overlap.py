"""Starts a thread per item but joins each one before starting the next.

The work does happen in threads of this process (memory is shared), but only
one of them is ever waiting at a time, so nothing overlaps. Tasks 1 and 2 are right.
"""

import threading

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
    items = list(items)
    results = [None] * len(items)

    def call(index):
        results[index] = fn(items[index])

    for index in range(len(items)):
        worker = threading.Thread(target=call, args=(index,))
        worker.start()
        worker.join()
    return results
