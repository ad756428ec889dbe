"""Measuring a speedup honestly.

A single stopwatch reading says little: the first run pays for imports, cold
caches and lazy set-up (warm-up), the machine is never quiet (noise), and an
occasional run is slowed down by something else entirely (an outlier). So:

- run the code a few times untimed first (warm-up) and throw those runs away;
- time several repeats, each one separately;
- summarise with the median, which one outlier cannot drag, not the mean;
- measure the serial baseline in the same run as the parallel version,
  interleaved, so a machine that gets busier (or cooler) meanwhile affects
  both alike; never compare against a number measured yesterday.

Every function takes the clock as a parameter, so tests can hand in a fake one.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable, NamedTuple, Sequence

Clock = Callable[[], float]


class Summary(NamedTuple):
    median: float
    best: float  # the fastest run
    worst: float  # the slowest run
    spread: float  # (worst - best) / median: how noisy the runs were


class Comparison(NamedTuple):
    serial: Summary
    parallel: Summary
    speedup: float  # serial median / parallel median


def _time_once(fn: Callable[[], object], clock: Clock) -> float:
    start = clock()
    fn()
    return clock() - start


def _check_counts(repeats: int, warmup: int) -> None:
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats!r}")
    if warmup < 0:
        raise ValueError(f"warmup cannot be negative, got {warmup!r}")


def measure(fn: Callable[[], object], *, repeats: int = 5, warmup: int = 1, clock: Clock = time.perf_counter) -> list[float]:
    """Call fn() `warmup` times untimed, then `repeats` times, timing each call with `clock`.

    Returns a list of the `repeats` durations (seconds) in the order they ran;
    the warm-up runs are not among them. repeats = 1 and warmup = 0 are allowed.
    Raise ValueError if repeats < 1 or warmup < 0, before calling fn at all.
    """
    _check_counts(repeats, warmup)
    for _ in range(warmup):
        fn()
    return [_time_once(fn, clock) for _ in range(repeats)]


def summarize(times: Sequence[float]) -> Summary:
    """Median, best, worst and relative spread ((worst - best) / median) of some timings.

    `times` is any sequence (a list, a tuple). Do not modify it (the caller may
    still need the order they ran in). The median of an even number of timings
    is the mean of the middle two. Raise ValueError when there are no timings,
    or when their median is 0 or less (the spread would be undefined).
    """
    median = statistics.median(times)  # no timings: statistics.StatisticsError, a ValueError
    if median <= 0:
        raise ValueError(f"the median timing is {median!r}: the spread is undefined (is the clock too coarse?)")
    best, worst = min(times), max(times)
    return Summary(median, best, worst, (worst - best) / median)


def speedup(serial_times: Sequence[float], parallel_times: Sequence[float]) -> float:
    """How many times faster the parallel version ran: median serial time / median parallel time.

    The two sides may hold different numbers of timings. Raise ValueError when
    either side has no timings or a median of 0 or less, as summarize() does.
    """
    return summarize(serial_times).median / summarize(parallel_times).median


def compare(
    serial_fn: Callable[[], object],
    parallel_fn: Callable[[], object],
    *,
    repeats: int = 5,
    warmup: int = 1,
    clock: Clock = time.perf_counter,
) -> Comparison:
    """Time a serial baseline and a parallel version in the same run, interleaved.

    `warmup` untimed rounds, then `repeats` timed rounds; every round calls
    serial_fn() once and then parallel_fn() once, so the call order is
    serial, parallel, serial, parallel, ... Returns a Comparison of the two
    Summary values of the timed runs and their speedup (as speedup() computes it).
    repeats = 1 and warmup = 0 are allowed. Raise ValueError if repeats < 1
    or warmup < 0, before calling either function.
    """
    _check_counts(repeats, warmup)
    for _ in range(warmup):
        serial_fn()
        parallel_fn()
    serial_times, parallel_times = [], []
    for _ in range(repeats):
        serial_times.append(_time_once(serial_fn, clock))
        parallel_times.append(_time_once(parallel_fn, clock))
    return Comparison(summarize(serial_times), summarize(parallel_times), speedup(serial_times, parallel_times))
