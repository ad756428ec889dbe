"""Summarises with the mean instead of the median.

One slow run (the machine was busy, a cold cache) drags the mean and so the
speedup; the median ignores it. Timing itself and the interleaving are right.
"""

import statistics
import time
from typing import NamedTuple

LOSES = ["summary", "speedup"]


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
    typical = statistics.mean(times)
    return Summary(typical, min(times), max(times), (max(times) - min(times)) / typical)


def speedup(serial_times, parallel_times):
    return statistics.mean(serial_times) / statistics.mean(parallel_times)


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
