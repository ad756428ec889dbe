"""Graded tests for exercises/ch01_concepts/cpu_vs_io.py (processes for CPU, threads for I/O).

Parallelism is proven by a rendezvous, never by a stopwatch: every call waits
at a barrier until `workers` calls are inside at once. Parallel workers meet
quickly; serial ones leave the first caller alone until the barrier's deadline.
Which process ran each call is read from the PID it reports.
"""

import functools
import os
import sys
import threading
from pathlib import Path

import pytest

from course.testing import Overlap, plain

# The probes must be importable by name in spawn and forkserver children, which
# inherit this process's sys.path: put this folder on it before importing them.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
import ch01_probes  # noqa: E402


class FakeClocks:
    """A wall clock and a CPU clock that move only when the fake work says so."""

    def __init__(self):
        self.wall = 100.0
        self.cpu = 7.0

    def wall_clock(self):
        return self.wall

    def cpu_clock(self):
        return self.cpu

    def work(self, wall, cpu):
        calls = []

        def run():
            calls.append(1)
            self.wall += wall
            self.cpu += cpu

        run.calls = calls
        return run


# ---- task 1: tell CPU-bound from I/O-bound work ----------------------------------


@pytest.mark.task("classify")
@pytest.mark.parametrize("wall, cpu, share", [(2.0, 1.9, 0.95), (2.0, 0.1, 0.05), (0.5, 0.25, 0.5), (4.0, 0.0, 0.0)])
def test_cpu_share_is_cpu_time_over_wall_time(exercise, wall, cpu, share):
    clocks = FakeClocks()
    work = clocks.work(wall, cpu)
    got = exercise.cpu_share(work, wall_clock=clocks.wall_clock, cpu_clock=clocks.cpu_clock)
    assert plain(got) == pytest.approx(share), (
        f"fn took {wall} s of wall time and {cpu} s of CPU time; cpu_share returned {got!r}, expected {share!r}"
    )
    assert len(work.calls) == 1, f"cpu_share called fn {len(work.calls)} times, expected once"


@pytest.mark.task("classify")
@pytest.mark.parametrize(
    "wall, cpu, threshold, expected",
    [
        (2.0, 1.9, 0.5, "cpu-bound"),  # computing
        (2.0, 0.1, 0.5, "io-bound"),  # waiting
        (0.01, 0.009, 0.5, "cpu-bound"),  # short, but busy all the time
        (30.0, 3.0, 0.5, "io-bound"),  # long, but mostly waiting
        (1.0, 0.5, 0.5, "cpu-bound"),  # exactly at the threshold
        (1.0, 0.5, 0.8, "io-bound"),
    ],
)
def test_classify_looks_at_the_cpu_share(exercise, wall, cpu, threshold, expected):
    clocks = FakeClocks()
    work = clocks.work(wall, cpu)
    got = exercise.classify(work, threshold=threshold, wall_clock=clocks.wall_clock, cpu_clock=clocks.cpu_clock)
    assert plain(got) == expected, (
        f"fn took {wall} s of wall time and {cpu} s of CPU time; classify(fn, threshold={threshold}) "
        f"returned {got!r}, expected {expected!r}"
    )
    assert len(work.calls) == 1, f"classify called fn {len(work.calls)} times, expected once"


@pytest.mark.task("classify")
def test_classify_measures_cpu_time_by_default(exercise):
    waiting = threading.Event()
    got = exercise.classify(lambda: waiting.wait(0.1))
    assert plain(got) == "io-bound", (
        f"classify(a call that waits 0.1 s on an Event) returned {got!r}, expected 'io-bound': "
        "with the default clocks, waiting must cost wall time but (almost) no CPU time"
    )


@pytest.mark.task("classify")
def test_cpu_share_rejects_an_instant_call(exercise):
    clocks = FakeClocks()
    with pytest.raises(ValueError):
        exercise.cpu_share(clocks.work(0.0, 0.0), wall_clock=clocks.wall_clock, cpu_clock=clocks.cpu_clock)


# ---- task 2: CPU-bound work in several processes at once ---------------------------


@pytest.mark.task("cpu_in_processes")
def test_cpu_bound_results_come_back_in_item_order(exercise, mp_context):
    items = [5, 3, 9, 1, 7, 2, 8]
    got = exercise.run_cpu_bound(ch01_probes.square, items, workers=2, mp_context=mp_context)
    assert plain(list(got)) == [x * x for x in items], (
        f"run_cpu_bound(square, {items}, workers=2) under {mp_context.get_start_method()} returned {got!r}, "
        f"expected {[x * x for x in items]}"
    )


@pytest.mark.task("cpu_in_processes")
@pytest.mark.parametrize("workers", [2, 3])
def test_cpu_bound_calls_run_in_other_processes_at_the_same_time(exercise, mp_context, workers):
    items = list(range(2 * workers))
    with mp_context.Manager() as manager:
        barrier = manager.Barrier(workers)
        fn = functools.partial(ch01_probes.rendezvous, barrier)
        got = plain(list(exercise.run_cpu_bound(fn, items, workers=workers, mp_context=mp_context)))
    method = mp_context.get_start_method()
    assert [r["square"] for r in got] == [x * x for x in items], f"results out of order or missing: {got!r}"
    pids = {r["pid"] for r in got}
    assert os.getpid() not in pids, (
        f"run_cpu_bound(fn, workers={workers}) under {method} ran calls in the calling process itself: "
        "threads (or a plain loop) take turns on the GIL; CPU-bound Python needs other processes"
    )
    assert all(r["met"] for r in got), (
        f"run_cpu_bound(fn, {items}, workers={workers}) under {method}: every call waited up to "
        f"{ch01_probes.RENDEZVOUS_TIMEOUT} s for {workers} calls to be running at once, and "
        f"{sum(not r['met'] for r in got)} of {len(got)} never saw them: the calls ran one after another, "
        f"or fewer than {workers} processes worked at once (pids seen: {sorted(pids)})"
    )
    assert len(pids) >= workers, f"expected at least {workers} worker processes, saw pids {sorted(pids)}"


@pytest.mark.task("cpu_in_processes")
def test_cpu_bound_workers_are_started_with_the_given_context(exercise, mp_context):
    method = mp_context.get_start_method()
    mark = f"inherited-from-{os.getpid()}"
    ch01_probes.MARK = mark
    try:
        got = plain(list(exercise.run_cpu_bound(ch01_probes.how_was_i_started, [1, 2], workers=2, mp_context=mp_context)))
    finally:
        ch01_probes.MARK = None
    seen = {ch01_probes.start_method_seen(report, os.getpid(), mark) for report in got}
    assert seen == {method}, (
        f"run_cpu_bound(fn, [1, 2], workers=2, mp_context=<{method} context>) started its workers by {sorted(seen)}: "
        "start them from mp_context, so the code is tested (and works) under every start method"
    )


# ---- task 3: I/O-bound work in threads that share memory -----------------------------


@pytest.mark.task("io_in_threads")
def test_io_bound_results_come_back_in_item_order(exercise):
    items = list(range(20, 0, -1))
    got = exercise.run_io_bound(lambda x: x * 3, items, workers=4)
    assert plain(list(got)) == [x * 3 for x in items], (
        f"run_io_bound(lambda x: x * 3, {items}, workers=4) returned {got!r}, expected {[x * 3 for x in items]}"
    )


@pytest.mark.task("io_in_threads")
def test_io_bound_calls_wait_together_in_threads_of_this_process(exercise):
    workers = 3
    probe = Overlap(hold_until=workers, hold_timeout=2.0)
    seen = []

    def wait_for_io(item):
        with probe.region():
            seen.append(item)  # a closure over the caller's list: only threads can do this
        return -item

    got = exercise.run_io_bound(wait_for_io, [1, 2, 3], workers=workers)
    assert plain(list(got)) == [-1, -2, -3], f"run_io_bound returned {got!r}, expected [-1, -2, -3]"
    assert sorted(seen) == [1, 2, 3], f"the caller's list holds {seen!r} afterwards, expected the 3 items: threads share memory"
    assert probe.pids == {os.getpid()}, f"calls ran in processes {probe.pids}, expected threads of this process"
    assert probe.max_inside == workers, (
        f"run_io_bound(fn, [1, 2, 3], workers={workers}): at most {probe.max_inside} call(s) were waiting at once, "
        f"expected {workers}: start the threads before waiting for any of them"
    )
    assert len(probe.threads) == workers, f"expected {workers} threads to run the calls, saw {len(probe.threads)}"


@pytest.mark.task("io_in_threads")
def test_io_bound_passes_an_exception_to_the_caller(exercise):
    def fails_on_three(item):
        if item == 3:
            raise LookupError(f"no such item: {item}")
        return item

    with pytest.raises(LookupError):
        exercise.run_io_bound(fails_on_three, [1, 2, 3, 4], workers=2)
