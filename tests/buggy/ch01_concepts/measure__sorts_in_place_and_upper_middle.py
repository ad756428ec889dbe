"""Takes the 'median' as times.sort(); times[len(times) // 2].

Sorting in place scrambles the caller's record of which run came when, and
for an even number of runs this picks the upper of the two middle values
instead of their mean. Timing, speedup and interleaving are otherwise right.
"""

import time
from typing import NamedTuple

LOSES = ["summary"]


class Summary(NamedTuple):
    median: float
    best: float
    worst: float
    spread: float


class Comparison(NamedTuple):
    serial: Summary
    parallel: Summary
    speedup: float


def _once(fn, clock):
    start = clock()
    fn()
    return clock() - start


def measure(fn, *, repeats=5, warmup=1, clock=time.perf_counter):
    if repeats < 1 or warmup < 0:
        raise ValueError("bad counts")
    for _ in range(warmup):
        fn()
    return [_once(fn, clock) for _ in range(repeats)]


def summarize(times):
    if not times:
        raise ValueError("no timings")
    if isinstance(times, list):
        times.sort()
    else:
        times = sorted(times)
    median = times[len(times) // 2]
    return Summary(median, times[0], times[-1], (times[-1] - times[0]) / median)


def speedup(serial_times, parallel_times):
    return summarize(list(serial_times)).median / summarize(list(parallel_times)).median


def compare(serial_fn, parallel_fn, *, repeats=5, warmup=1, clock=time.perf_counter):
    if repeats < 1 or warmup < 0:
        raise ValueError("bad counts")
    for _ in range(warmup):
        serial_fn()
        parallel_fn()
    serial_times, parallel_times = [], []
    for _ in range(repeats):
        serial_times.append(_once(serial_fn, clock))
        parallel_times.append(_once(parallel_fn, clock))
    return Comparison(summarize(serial_times), summarize(parallel_times), speedup(serial_times, parallel_times))
