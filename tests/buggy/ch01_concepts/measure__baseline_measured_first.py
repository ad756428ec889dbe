"""Measures every serial run first and every parallel run afterwards.

If the machine gets busier (another job starts, the CPU throttles) during the
measurement, all of that lands on one side and the speedup is wrong; the
baseline must be interleaved with the parallel runs. Everything else is right.
"""

import statistics
import time
from typing import NamedTuple

LOSES = ["interleaved_baseline"]


class Summary(NamedTuple):
    median: float
    best: float
    worst: float
    spread: float


class Comparison(NamedTuple):
    serial: Summary
    parallel: Summary
    speedup: float


def measure(fn, *, repeats=5, warmup=1, clock=time.perf_counter):
    if repeats < 1 or warmup < 0:
        raise ValueError("bad counts")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = clock()
        fn()
        times.append(clock() - start)
    return times


def summarize(times):
    if not times:
        raise ValueError("no timings")
    median = statistics.median(times)
    return Summary(median, min(times), max(times), (max(times) - min(times)) / median)


def speedup(serial_times, parallel_times):
    return summarize(serial_times).median / summarize(parallel_times).median


def compare(serial_fn, parallel_fn, *, repeats=5, warmup=1, clock=time.perf_counter):
    serial_times = measure(serial_fn, repeats=repeats, warmup=warmup, clock=clock)
    parallel_times = measure(parallel_fn, repeats=repeats, warmup=warmup, clock=clock)
    return Comparison(summarize(serial_times), summarize(parallel_times), speedup(serial_times, parallel_times))
