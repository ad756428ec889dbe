"""Graded tests for exercises/ch01_concepts/cpu_vs_io.py (processes for CPU, threads for I/O).

Parallelism is proven by a rendezvous, never by a stopwatch: every call waits
at a barrier until `workers` calls are inside at once. Parallel workers meet
quickly; serial ones leave the first caller alone until the barrier's deadline.
Which process ran each call is read from the PID it reports.
"""

import functools
import multiprocessing
import os
import sys
import threading
from pathlib import Path

import pytest

from course.testing import Overlap, assert_rejected, plain

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
@pytest.mark.parametrize("entry", ["cpu_share", "classify"])
@pytest.mark.parametrize("wall", [0.0, -0.5])
def test_an_instant_call_is_rejected_after_one_call(exercise, entry, wall):
    clocks = FakeClocks()
    work = clocks.work(wall, 0.0)
    assert_rejected(f"{entry}(fn) where the wall clock moved by {wall} s",
                    lambda: getattr(exercise, entry)(work, wall_clock=clocks.wall_clock, cpu_clock=clocks.cpu_clock))
    assert len(work.calls) == 1, f"{entry} called fn {len(work.calls)} times, expected once"


@pytest.mark.task("classify")
def test_cpu_share_of_a_very_short_call(exercise):
    clocks = FakeClocks()
    clocks.wall = 0.0  # exact binary fractions: 2**-20 s of wall time, half of it on the CPU
    clocks.cpu = 0.0
    got = exercise.cpu_share(clocks.work(2.0**-20, 2.0**-21), wall_clock=clocks.wall_clock, cpu_clock=clocks.cpu_clock)
    assert plain(got) == pytest.approx(0.5), (
        f"fn took 2**-20 s of wall time and half of it on the CPU; cpu_share returned {got!r}, expected 0.5"
    )


@pytest.mark.task("classify")
@pytest.mark.parametrize("wall, cpu, expected", [(1.0, 0.5, "cpu-bound"), (1.0, 0.49, "io-bound"), (1.0, 0.51, "cpu-bound")])
def test_classify_draws_the_line_at_one_half_by_default(exercise, wall, cpu, expected):
    clocks = FakeClocks()
    got = exercise.classify(clocks.work(wall, cpu), wall_clock=clocks.wall_clock, cpu_clock=clocks.cpu_clock)
    assert plain(got) == expected, (
        f"fn took {wall} s of wall time and {cpu} s of CPU time; classify(fn) with the default threshold "
        f"returned {got!r}, expected {expected!r}"
    )


def new_processes(before):
    """Worker processes of this test still alive now (forkserver and resource tracker are not ours)."""
    return [p.pid for p in multiprocessing.active_children() if p not in before]


# ---- task 2: CPU-bound work in several processes at once ---------------------------


@pytest.mark.task("cpu_in_processes")
def test_cpu_bound_results_come_back_in_item_order(exercise, mp_context):
    items = [5, 3, 9, 1, 7, 2, 8]
    before = multiprocessing.active_children()
    got = exercise.run_cpu_bound(ch01_probes.square, (x for x in items), workers=2, mp_context=mp_context)
    running = new_processes(before)
    call = f"run_cpu_bound(square, <a generator of {items}>, workers=2) under {mp_context.get_start_method()}"
    assert type(got) is list and plain(got) == [x * x for x in items], f"{call} returned {got!r}, expected {[x * x for x in items]}"
    assert not running, f"{call} returned while worker processes {running} were still running"


@pytest.mark.task("cpu_in_processes")
def test_cpu_bound_with_no_items_returns_an_empty_list(exercise):
    got = exercise.run_cpu_bound(ch01_probes.square, [], workers=2, mp_context=multiprocessing.get_context("spawn"))
    assert plain(list(got)) == [], f"run_cpu_bound(square, [], workers=2) returned {got!r}, expected []"


@pytest.mark.task("cpu_in_processes")
def test_cpu_bound_passes_an_exception_to_the_caller(exercise, mp_context):
    before = multiprocessing.active_children()
    call = f"run_cpu_bound(square_or_fail, [1, -2, 3], workers=2) under {mp_context.get_start_method()}"
    try:
        got = exercise.run_cpu_bound(ch01_probes.square_or_fail, [1, -2, 3], workers=2, mp_context=mp_context)
    except ValueError:
        pass
    except Exception as error:
        pytest.fail(f"{call} raised {type(error).__name__}: {error}; expected the ValueError square_or_fail(-2) raised", pytrace=False)
    else:
        pytest.fail(f"{call} returned {got!r}; square_or_fail(-2) raised ValueError, expected it to reach the caller", pytrace=False)
    running = new_processes(before)
    assert not running, f"{call} raised while worker processes {running} were still running"


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
        f"run_cpu_bound(fn, {items}, workers={workers}) under {method} ran calls in the calling process itself"
    )
    assert all(r["met"] for r in got), (
        f"run_cpu_bound(fn, {items}, workers={workers}) under {method}: every call waited up to "
        f"{ch01_probes.RENDEZVOUS_TIMEOUT} s for {workers} calls to be running at once, and "
        f"{sum(not r['met'] for r in got)} of {len(got)} never saw them (pids seen: {sorted(pids)})"
    )
    assert len(pids) == workers, (
        f"run_cpu_bound(fn, {items}, workers={workers}) under {method} ran the calls in {len(pids)} processes "
        f"(pids {sorted(pids)}), expected {workers}"
    )


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
        f"run_cpu_bound(fn, [1, 2], workers=2, mp_context=<{method} context>) ran the calls in processes "
        f"started by {sorted(seen)}, expected {method}"
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
        f"expected {workers}"
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


def new_threads(before):
    return [thread.name for thread in threading.enumerate() if thread not in before and thread.is_alive()]


@pytest.mark.task("io_in_threads")
def test_io_bound_takes_a_generator_and_leaves_no_thread_running(exercise):
    before = set(threading.enumerate())
    got = exercise.run_io_bound(lambda x: x + 1, (x for x in range(6)), workers=3)
    running = new_threads(before)
    call = "run_io_bound(lambda x: x + 1, <a generator of 0..5>, workers=3)"
    assert type(got) is list and plain(got) == [1, 2, 3, 4, 5, 6], f"{call} returned {got!r}, expected [1, 2, 3, 4, 5, 6]"
    assert not running, f"{call} returned while these threads it started were still running: {', '.join(running)}"


@pytest.mark.task("io_in_threads")
def test_io_bound_with_no_items_returns_an_empty_list(exercise):
    got = exercise.run_io_bound(lambda x: x, [], workers=2)
    assert plain(list(got)) == [], f"run_io_bound(lambda x: x, [], workers=2) returned {got!r}, expected []"


HOLD_SECONDS = 0.2  # how long a call waits for every call to have started (it never happens with a pool of `workers`)


@pytest.mark.task("io_in_threads")
def test_io_bound_runs_no_more_than_workers_calls_at_once(exercise):
    """Each call waits (briefly) for all 6 calls to have started: only more than 2 threads could get there."""
    workers, items = 2, list(range(6))
    changed = threading.Condition()
    state = {"started": 0, "inside": 0, "most": 0}
    threads = set()

    def call(item):
        with changed:
            state["started"] += 1
            state["inside"] += 1
            state["most"] = max(state["most"], state["inside"])
            threads.add(threading.get_ident())
            changed.notify_all()
            changed.wait_for(lambda: state["inside"] >= workers or state["started"] == len(items), timeout=2.0)
            changed.wait_for(lambda: state["started"] == len(items), timeout=HOLD_SECONDS)
            state["inside"] -= 1
            changed.notify_all()
        return item

    got = exercise.run_io_bound(call, items, workers=workers)
    call_text = f"run_io_bound(fn, {items}, workers={workers})"
    assert plain(list(got)) == items, f"{call_text} returned {got!r}, expected {items}"
    assert state["most"] == workers, (
        f"{call_text}: {state['most']} calls were running at the same moment, expected {workers}"
    )
    assert len(threads) <= workers, f"{call_text} ran the calls in {len(threads)} threads, expected {workers}"


@pytest.mark.task("io_in_threads")
def test_io_bound_raises_the_earliest_items_error_after_every_call_finished(exercise):
    """Item 3 fails first in time, item 1 first in item order; item 2 is still running when they fail."""
    item_three_failed = threading.Event()
    caller_got_error = threading.Event()
    finished = []

    def fn(item):
        if item == 3:
            item_three_failed.set()
            raise KeyError("item 3")
        if item == 1:
            item_three_failed.wait(timeout=2.0)
            raise LookupError("item 1")
        if item == 2:
            caller_got_error.wait(timeout=HOLD_SECONDS)  # a call still busy when the others fail
        finished.append(item)
        return item

    before = set(threading.enumerate())
    call = "run_io_bound(fn, [0, 1, 2, 3], workers=4), where fn(3) raised KeyError and then fn(1) raised LookupError"
    try:
        got = exercise.run_io_bound(fn, [0, 1, 2, 3], workers=4)
    except Exception as error:
        finished_then, running = sorted(finished), new_threads(before)
        caller_got_error.set()
        assert type(error) is LookupError, (
            f"{call}: the caller got {type(error).__name__}: {error}; expected the LookupError of item 1, "
            "the earliest failing item in item order"
        )
        assert finished_then == [0, 2], (
            f"{call}: when the error reached the caller, the calls for items {finished_then} had returned, expected [0, 2]"
        )
        assert not running, f"{call}: when the error reached the caller, these threads were still running: {', '.join(running)}"
    else:
        pytest.fail(f"{call} returned {got!r}; expected the LookupError to reach the caller", pytrace=False)
