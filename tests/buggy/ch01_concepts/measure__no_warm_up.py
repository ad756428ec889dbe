"""Never warms up: the first, cold run is timed and `warmup` is ignored.

The cold run pays for imports, caches and lazy set-up, so the timings (and the
comparison built on them) include a run that says nothing about steady speed.
Summaries and the speedup formula are right.
"""

import statistics
import time
from typing import NamedTuple

LOSES = ["time_each_repeat", "interleaved_baseline"]


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
    if repeats < 1 or warmup < 0:
        raise ValueError("bad counts")
    serial_times, parallel_times = [], []
    for _ in range(repeats):
        start = clock()
        serial_fn()
        serial_times.append(clock() - start)
        start = clock()
        parallel_fn()
        parallel_times.append(clock() - start)
    return Comparison(summarize(serial_times), summarize(parallel_times), speedup(serial_times, parallel_times))
