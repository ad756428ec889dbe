"""Reports the spread relative to the mean: (worst - best) / mean.

The median is right, but the relative spread divides by the mean, which the
one slow run it should expose drags up: five runs of 2, 2, 2, 2 and 50 s get a
spread of 4.1 instead of 24, so a noisy measurement looks almost calm.
Timing, the speedup and the interleaving are right.
"""

import statistics
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
    best, worst = min(times), max(times)
    return Summary(statistics.median(times), best, worst, (worst - best) / statistics.mean(times))


def speedup(serial_times, parallel_times):
    return summarize(serial_times).median / summarize(parallel_times).median


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
