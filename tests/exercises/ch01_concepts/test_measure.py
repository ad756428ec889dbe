"""Graded tests for exercises/ch01_concepts/measure.py (measuring a speedup honestly).

No test here reads a real clock: every timing comes from a fake clock that
moves only when the fake work says so, so the answers are exact and a
machine under load cannot change them.
"""

import pytest

from course.testing import plain


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
@pytest.mark.parametrize("repeats, warmup", [(0, 1), (-1, 0), (3, -1)])
def test_measure_rejects_impossible_counts(exercise, repeats, warmup):
    clock = FakeClock()
    with pytest.raises(ValueError):
        exercise.measure(ScriptedWork(clock, [1.0] * 10), repeats=repeats, warmup=warmup, clock=clock)


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
        f"({worst!r} - {best!r}) / {median!r} = {spread!r}: relative to the median, not the mean"
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
def test_summarize_rejects_no_timings(exercise):
    with pytest.raises(ValueError):
        exercise.summarize([])


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
        f"speedup({serial}, {parallel}) returned {got!r}, expected the ratio of medians 10 / 5 = 2.0 "
        "(the means give 14 / 9 = 1.56, dragged by single outliers)"
    )


@pytest.mark.task("speedup")
def test_speedup_of_a_slower_parallel_version_is_below_one(exercise):
    serial = [4.0, 1.0, 4.0, 4.0]
    parallel = [8.0, 1.0, 8.0, 8.0]
    got = exercise.speedup(serial, parallel)
    assert plain(got) == pytest.approx(0.5), (
        f"speedup({serial}, {parallel}) returned {got!r}, expected 4 / 8 = 0.5 (a slowdown), not the ratio of the best runs"
    )


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
@pytest.mark.parametrize("repeats, warmup", [(0, 1), (3, -1)])
def test_compare_rejects_impossible_counts(exercise, repeats, warmup):
    clock, log, serial, parallel = scripted_pair([1.0] * 10, [1.0] * 10)
    with pytest.raises(ValueError):
        exercise.compare(serial, parallel, repeats=repeats, warmup=warmup, clock=clock)
