"""Graded tests for exercises/ch01_concepts/measure.py (measuring a speedup honestly).

No test here reads a real clock: every timing comes from a fake clock that
moves only when the fake work says so, so the answers are exact and a
machine under load cannot change them.
"""

import statistics

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from course.testing import assert_rejected, plain

# Reproducible and quick: the same examples in every run, no example database,
# and no shrinking (the hand-picked cases already show the small failures).
EXAMPLES = settings(derandomize=True, max_examples=25, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

# Durations a fake clock can add exactly enough for approx(): 0.5 ms to 1000 s.
DURATION = st.floats(5e-4, 1e3)
TIMINGS = st.lists(DURATION, min_size=1, max_size=9)


def summary_oracle(times):
    """The Summary the docstring describes, computed the plain way."""
    median = statistics.median(times)
    return (median, min(times), max(times), (max(times) - min(times)) / median)


class FakeClock:
    """A clock that stands still until `advance` is called."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


class ScriptedWork:
    """A callable whose n-th call 'takes' durations[n] seconds on the fake clock; it logs its calls."""

    def __init__(self, clock, durations, name="work", log=None):
        self.clock = clock
        self.durations = list(durations)
        self.name = name
        self.calls = 0
        self.log = log if log is not None else []

    def __call__(self):
        if self.calls >= len(self.durations):
            raise AssertionError(f"{self.name} was called more than the {len(self.durations)} times expected")
        self.clock.advance(self.durations[self.calls])
        self.calls += 1
        self.log.append(self.name)


# ---- task 1: warm up, then time each repeat --------------------------------------


@pytest.mark.task("time_each_repeat")
def test_measure_times_each_repeat_and_drops_the_warm_up(exercise):
    clock = FakeClock()
    work = ScriptedWork(clock, [50.0, 3.0, 1.0, 2.0])  # the first (warm-up) run is slow
    times = exercise.measure(work, repeats=3, warmup=1, clock=clock)
    assert plain(list(times)) == pytest.approx([3.0, 1.0, 2.0]), (
        f"measure(work, repeats=3, warmup=1) returned {times!r}; the runs took 50 (warm-up), 3, 1 and 2 "
        "seconds, so expected [3.0, 1.0, 2.0]: one duration per timed run, in run order, warm-up excluded"
    )
    assert work.calls == 4, f"measure(work, repeats=3, warmup=1) called work {work.calls} times, expected 4"


@pytest.mark.task("time_each_repeat")
def test_measure_runs_every_warm_up_before_timing(exercise):
    clock = FakeClock()
    work = ScriptedWork(clock, [40.0, 30.0, 7.0, 8.0, 9.0, 7.5])
    times = exercise.measure(work, repeats=4, warmup=2, clock=clock)
    assert work.calls == 6, f"measure(work, repeats=4, warmup=2) called work {work.calls} times, expected 6"
    assert plain(list(times)) == pytest.approx([7.0, 8.0, 9.0, 7.5]), (
        f"measure(work, repeats=4, warmup=2) returned {times!r}, expected [7.0, 8.0, 9.0, 7.5]"
    )


@pytest.mark.task("time_each_repeat")
def test_measure_without_warm_up_times_every_run(exercise):
    clock = FakeClock()
    work = ScriptedWork(clock, [4.0, 5.0])
    times = exercise.measure(work, repeats=2, warmup=0, clock=clock)
    assert plain(list(times)) == pytest.approx([4.0, 5.0]), f"measure(work, repeats=2, warmup=0) returned {times!r}, expected [4.0, 5.0]"


@pytest.mark.task("time_each_repeat")
def test_measure_with_one_repeat_and_no_warm_up(exercise):
    clock = FakeClock()
    work = ScriptedWork(clock, [6.0])
    times = exercise.measure(work, repeats=1, warmup=0, clock=clock)
    assert plain(list(times)) == pytest.approx([6.0]), f"measure(work, repeats=1, warmup=0) returned {times!r}, expected [6.0]"
    assert work.calls == 1, f"measure(work, repeats=1, warmup=0) called work {work.calls} times, expected once"


@pytest.mark.task("time_each_repeat")
def test_measure_by_default_warms_up_once_and_times_five_runs(exercise):
    clock = FakeClock()
    work = ScriptedWork(clock, [20.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    times = exercise.measure(work, clock=clock)
    assert work.calls == 6, f"measure(work, clock=clock) called work {work.calls} times, expected 6 (1 warm-up, 5 timed)"
    assert plain(list(times)) == pytest.approx([1.0, 2.0, 3.0, 4.0, 5.0]), (
        f"measure(work, clock=clock) returned {times!r}, expected [1.0, 2.0, 3.0, 4.0, 5.0]"
    )


@pytest.mark.task("time_each_repeat")
def test_measure_returns_a_list(exercise):
    clock = FakeClock()
    times = exercise.measure(ScriptedWork(clock, [1.0, 2.0]), repeats=1, warmup=1, clock=clock)
    assert type(times) is list, f"measure(...) returned a {type(times).__name__}: {times!r}; expected a list"


@pytest.mark.task("time_each_repeat")
@EXAMPLES
@given(durations=st.lists(DURATION, min_size=1, max_size=12), data=st.data())
def test_measure_keeps_exactly_the_timed_runs(exercise, durations, data):
    warmup = data.draw(st.integers(0, len(durations) - 1), label="warmup")
    clock = FakeClock()
    work = ScriptedWork(clock, durations)
    repeats = len(durations) - warmup
    times = exercise.measure(work, repeats=repeats, warmup=warmup, clock=clock)
    assert plain(list(times)) == pytest.approx(durations[warmup:]), (
        f"the runs took {durations}; measure(work, repeats={repeats}, warmup={warmup}) returned {times!r}, "
        f"expected {durations[warmup:]}"
    )
    assert work.calls == len(durations), f"measure(work, repeats={repeats}, warmup={warmup}) called work {work.calls} times"


@pytest.mark.task("time_each_repeat")
@pytest.mark.parametrize("repeats, warmup", [(0, 1), (0, 0), (-1, 0), (3, -1), (1, -1)])
def test_measure_rejects_impossible_counts(exercise, repeats, warmup):
    clock = FakeClock()
    work = ScriptedWork(clock, [1.0] * 10)
    assert_rejected(f"measure(work, repeats={repeats}, warmup={warmup})",
                    lambda: exercise.measure(work, repeats=repeats, warmup=warmup, clock=clock))
    assert work.calls == 0, (
        f"measure(work, repeats={repeats}, warmup={warmup}) called work {work.calls} time(s) before raising ValueError, expected none"
    )


# ---- task 2: summarise with the median ---------------------------------------------


@pytest.mark.task("summary")
@pytest.mark.parametrize(
    "times, median, best, worst",
    [
        ([2.0, 2.0, 2.0, 2.0, 50.0], 2.0, 2.0, 50.0),  # one outlier must not drag the summary
        ([3.0, 1.0, 2.0], 2.0, 1.0, 3.0),  # not sorted
        ([4.0, 1.0, 3.0, 2.0], 2.5, 1.0, 4.0),  # even count: the mean of the middle two
        ([0.5], 0.5, 0.5, 0.5),
        ((9.0, 1.0, 1.2, 1.1, 0.9, 1.0, 1.05), 1.05, 0.9, 9.0),
    ],
)
def test_summarize_reports_the_median_best_and_worst(exercise, times, median, best, worst):
    got = exercise.summarize(times)
    assert plain(got.median) == pytest.approx(median), (
        f"summarize({times!r}).median is {got.median!r}, expected the median {median!r}"
    )
    assert plain((got.best, got.worst)) == pytest.approx((best, worst)), (
        f"summarize({times!r}) gave best={got.best!r}, worst={got.worst!r}; expected {best!r} and {worst!r}"
    )
    spread = (worst - best) / median
    assert plain(got.spread) == pytest.approx(spread), (
        f"summarize({times!r}).spread is {got.spread!r}, expected (worst - best) / median = "
        f"({worst!r} - {best!r}) / {median!r} = {spread!r}"
    )


@pytest.mark.task("summary")
def test_summarize_reports_the_relative_spread(exercise):
    got = exercise.summarize([1.0, 2.0, 3.0, 5.0, 4.0])
    assert plain(got.spread) == pytest.approx(4.0 / 3.0), (
        f"summarize([1, 2, 3, 5, 4]).spread is {got.spread!r}, expected (worst - best) / median = 4 / 3"
    )


@pytest.mark.task("summary")
def test_summarize_leaves_the_timings_alone(exercise):
    times = [3.0, 1.0, 2.0]
    exercise.summarize(times)
    assert times == [3.0, 1.0, 2.0], f"summarize reordered the caller's list to {times!r}"


@pytest.mark.task("summary")
def test_summarize_returns_a_summary(exercise):
    got = exercise.summarize([2.0, 1.0])
    assert isinstance(got, exercise.Summary), f"summarize([2.0, 1.0]) returned {got!r}, expected a Summary"
    assert plain(tuple(got)) == pytest.approx((1.5, 1.0, 2.0, 1.0 / 1.5)), (
        f"summarize([2.0, 1.0]) returned {got!r}, expected Summary(median=1.5, best=1.0, worst=2.0, spread=0.666...)"
    )


@pytest.mark.task("summary")
def test_summarize_leaves_a_tuple_alone(exercise):
    times = (3.0, 1.0, 2.0)
    got = exercise.summarize(times)
    assert plain(got.median) == pytest.approx(2.0), f"summarize({times!r}).median is {got.median!r}, expected 2.0"


@pytest.mark.task("summary")
@pytest.mark.parametrize("times", [[], (), [0.0], [0.0, 0.0, 5.0], [0.0, 0.0]])
def test_summarize_rejects_no_timings_or_a_zero_median(exercise, times):
    assert_rejected(f"summarize({times!r})", lambda: exercise.summarize(times))


@pytest.mark.task("summary")
@EXAMPLES
@given(times=TIMINGS)
def test_summarize_matches_the_statistics_module(exercise, times):
    before = list(times)
    got = exercise.summarize(times)
    expected = summary_oracle(before)
    assert plain(tuple(got)) == pytest.approx(expected), (
        f"summarize({before!r}) returned {tuple(got)!r}, expected (median, best, worst, spread) = {expected!r}"
    )
    assert times == before, f"summarize changed the caller's list from {before!r} to {times!r}"


# ---- task 3: the speedup -----------------------------------------------------------


@pytest.mark.task("speedup")
def test_speedup_divides_the_median_serial_time_by_the_median_parallel_time(exercise):
    serial = [10.0, 10.2, 9.8, 10.1, 9.9]
    parallel = [5.0, 5.1, 4.9, 5.0, 5.05]
    got = exercise.speedup(serial, parallel)
    assert plain(got) == pytest.approx(2.0), f"speedup({serial}, {parallel}) returned {got!r}, expected 10.0 / 5.0 = 2.0"


@pytest.mark.task("speedup")
def test_speedup_is_not_fooled_by_one_slow_run(exercise):
    serial = [30.0, 10.0, 10.0, 10.0, 10.0]  # a cold first run that slipped into the timings
    parallel = [5.0, 5.0, 5.0, 25.0, 5.0]  # the machine was busy for one run
    got = exercise.speedup(serial, parallel)
    assert plain(got) == pytest.approx(2.0), (
        f"speedup({serial}, {parallel}) returned {got!r}, expected the ratio of the medians 10 / 5 = 2.0"
    )


@pytest.mark.task("speedup")
def test_speedup_of_a_slower_parallel_version_is_below_one(exercise):
    serial = [4.0, 1.0, 4.0, 4.0]
    parallel = [8.0, 1.0, 8.0, 8.0]
    got = exercise.speedup(serial, parallel)
    assert plain(got) == pytest.approx(0.5), (
        f"speedup({serial}, {parallel}) returned {got!r}, expected the ratio of the medians 4 / 8 = 0.5 (a slowdown)"
    )


@pytest.mark.task("speedup")
def test_speedup_compares_sides_of_different_lengths(exercise):
    serial = [9.0, 12.0, 10.0]
    parallel = [2.0, 8.0, 4.0, 6.0]
    got = exercise.speedup(serial, parallel)
    assert plain(got) == pytest.approx(2.0), f"speedup({serial}, {parallel}) returned {got!r}, expected 10.0 / 5.0 = 2.0"


@pytest.mark.task("speedup")
@pytest.mark.parametrize("serial, parallel", [([], [1.0]), ([1.0], []), ([], []), ([2.0], [0.0]), ([0.0], [2.0])])
def test_speedup_rejects_no_timings_or_a_zero_median(exercise, serial, parallel):
    assert_rejected(f"speedup({serial}, {parallel})", lambda: exercise.speedup(serial, parallel))


@pytest.mark.task("speedup")
@EXAMPLES
@given(serial=TIMINGS, parallel=TIMINGS)
def test_speedup_is_the_ratio_of_the_medians(exercise, serial, parallel):
    got = exercise.speedup(serial, parallel)
    expected = statistics.median(serial) / statistics.median(parallel)
    assert plain(got) == pytest.approx(expected), f"speedup({serial}, {parallel}) returned {got!r}, expected {expected!r}"


# ---- task 4: the baseline in the same run ---------------------------------------------


def scripted_pair(serial_durations, parallel_durations):
    clock = FakeClock()
    log = []
    serial = ScriptedWork(clock, serial_durations, "serial", log)
    parallel = ScriptedWork(clock, parallel_durations, "parallel", log)
    return clock, log, serial, parallel


@pytest.mark.task("interleaved_baseline")
def test_compare_interleaves_the_baseline_and_the_parallel_runs(exercise):
    clock, log, serial, parallel = scripted_pair([1.0] * 5, [1.0] * 5)
    exercise.compare(serial, parallel, repeats=3, warmup=2, clock=clock)
    assert log == ["serial", "parallel"] * 5, (
        "compare(serial, parallel, repeats=3, warmup=2) called them in the order "
        f"{log}; expected serial, parallel, serial, parallel, ... (2 warm-up rounds, then 3 timed rounds), "
        "so a change in the machine's load hits both alike"
    )


@pytest.mark.task("interleaved_baseline")
def test_compare_times_only_the_timed_rounds(exercise):
    clock, log, serial, parallel = scripted_pair([99.0, 4.0, 6.0, 5.0], [77.0, 2.0, 3.0, 2.5])
    got = exercise.compare(serial, parallel, repeats=3, warmup=1, clock=clock)
    assert plain(got.serial.median) == pytest.approx(5.0) and plain(got.parallel.median) == pytest.approx(2.5), (
        f"compare(...) summarised the serial runs as {got.serial!r} and the parallel runs as {got.parallel!r}; "
        "the timed runs took 4, 6, 5 s (serial) and 2, 3, 2.5 s (parallel), medians 5.0 and 2.5, warm-up excluded"
    )
    assert plain((got.serial.best, got.serial.worst, got.parallel.best, got.parallel.worst)) == pytest.approx((4.0, 6.0, 2.0, 3.0))
    assert plain(got.speedup) == pytest.approx(2.0), f"compare(...).speedup is {got.speedup!r}, expected 5.0 / 2.5 = 2.0"


@pytest.mark.task("interleaved_baseline")
def test_compare_sees_the_same_drift_on_both_sides(exercise):
    # The machine gets busier during the measurement: every call takes longer
    # than the one before it. Interleaved, each serial run is next to a
    # parallel run with the same load, so the ratio stays honest.
    clock = FakeClock()
    log = []
    load = {"calls": 0}

    def work(name, cost):
        def run():
            load["calls"] += 1
            clock.advance(cost * (1 + 0.5 * load["calls"]))
            log.append(name)

        return run

    got = exercise.compare(work("serial", 2.0), work("parallel", 1.0), repeats=5, warmup=0, clock=clock)
    assert log == ["serial", "parallel"] * 5, f"expected the calls interleaved, got {log}"
    # serial calls 1,3,5,7,9 and parallel calls 2,4,6,8,10: medians 2*3.5=7.0 and 1*4.0=4.0
    assert plain(got.speedup) == pytest.approx(7.0 / 4.0), f"compare(...).speedup is {got.speedup!r}, expected 1.75"


@pytest.mark.task("interleaved_baseline")
@pytest.mark.parametrize("repeats, warmup", [(0, 1), (0, 0), (-1, 0), (3, -1), (1, -1)])
def test_compare_rejects_impossible_counts(exercise, repeats, warmup):
    clock, log, serial, parallel = scripted_pair([1.0] * 10, [1.0] * 10)
    assert_rejected(f"compare(serial, parallel, repeats={repeats}, warmup={warmup})",
                    lambda: exercise.compare(serial, parallel, repeats=repeats, warmup=warmup, clock=clock))
    assert log == [], f"compare(serial, parallel, repeats={repeats}, warmup={warmup}) called {log} before raising ValueError, expected no call"


@pytest.mark.task("interleaved_baseline")
def test_compare_with_one_round_and_no_warm_up(exercise):
    clock, log, serial, parallel = scripted_pair([6.0], [2.0])
    got = exercise.compare(serial, parallel, repeats=1, warmup=0, clock=clock)
    assert log == ["serial", "parallel"], f"compare(serial, parallel, repeats=1, warmup=0) called {log}, expected ['serial', 'parallel']"
    assert plain((*got.serial, *got.parallel, got.speedup)) == pytest.approx((6.0, 6.0, 6.0, 0.0, 2.0, 2.0, 2.0, 0.0, 3.0)), (
        f"compare(serial, parallel, repeats=1, warmup=0) returned {got!r}; the runs took 6 s and 2 s"
    )


@pytest.mark.task("interleaved_baseline")
def test_compare_by_default_warms_up_one_round_and_times_five(exercise):
    clock, log, serial, parallel = scripted_pair([50.0, 1.0, 2.0, 3.0, 4.0, 5.0], [60.0, 1.0, 1.0, 1.0, 1.0, 2.0])
    got = exercise.compare(serial, parallel, clock=clock)
    assert log == ["serial", "parallel"] * 6, f"compare(serial, parallel, clock=clock) called {log}, expected 6 interleaved rounds"
    assert plain((got.serial.worst, got.parallel.worst)) == pytest.approx((5.0, 2.0)), (
        f"compare(serial, parallel, clock=clock) returned {got!r}; the warm-up runs took 50 s and 60 s, the timed ones at most 5 s and 2 s"
    )


@pytest.mark.task("interleaved_baseline")
def test_compare_returns_a_comparison_of_summaries(exercise):
    clock, log, serial, parallel = scripted_pair([4.0, 4.0], [2.0, 2.0])
    got = exercise.compare(serial, parallel, repeats=2, warmup=0, clock=clock)
    assert isinstance(got, exercise.Comparison), f"compare(...) returned {got!r}, expected a Comparison"
    assert isinstance(got.serial, exercise.Summary) and isinstance(got.parallel, exercise.Summary), (
        f"compare(...) returned {got!r}, expected its serial and parallel fields to be Summary values"
    )


@pytest.mark.task("interleaved_baseline")
@EXAMPLES
@given(rounds=st.lists(st.tuples(DURATION, DURATION), min_size=1, max_size=9), data=st.data())
def test_compare_summarises_exactly_the_timed_rounds(exercise, rounds, data):
    warmup = data.draw(st.integers(0, len(rounds) - 1), label="warmup")
    serial_times = [s for s, _ in rounds]
    parallel_times = [p for _, p in rounds]
    clock, log, serial, parallel = scripted_pair(serial_times, parallel_times)
    got = exercise.compare(serial, parallel, repeats=len(rounds) - warmup, warmup=warmup, clock=clock)
    timed_serial, timed_parallel = serial_times[warmup:], parallel_times[warmup:]
    expected = (*summary_oracle(timed_serial), *summary_oracle(timed_parallel),
                statistics.median(timed_serial) / statistics.median(timed_parallel))
    assert plain((*got.serial, *got.parallel, got.speedup)) == pytest.approx(expected), (
        f"serial runs took {serial_times}, parallel runs {parallel_times}; compare(..., repeats={len(rounds) - warmup}, "
        f"warmup={warmup}) returned {got!r}, expected the serial Summary, the parallel Summary and the speedup {expected!r}"
    )
