"""Graded tests for exercises/ch03_multiprocessing/histogram.py.

`add` is checked in this process: a pause that writes, or that asks another
thread to take the array's lock, shows whether the read, the pause and the
write happen in that order and under that lock. Lost updates between processes
are provoked, not hoped for: the pause waits for a second process to arrive
between its read and its write, which unprotected code always allows.
"""

import functools
import sys
import threading
from pathlib import Path

import pytest

from course.testing import assert_rejected, plain

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
import ch03_probes  # noqa: E402

PAUSE = 0.25  # seconds a lone process waits for company in the pause


def counts(histogram):
    return [int(value) for value in histogram[:]]


# ---- task: one shared array, one add under its lock -----------------------------------


@pytest.mark.task("add")
@pytest.mark.parametrize("bins", [1, 4])
def test_a_new_histogram_has_that_many_zero_counters(exercise, mp_context, bins):
    histogram = exercise.make_histogram(bins, mp_context)
    assert len(histogram) == bins and counts(histogram) == [0] * bins, (
        f"make_histogram({bins}) under {mp_context.get_start_method()} gave {histogram[:]!r}, expected {[0] * bins}"
    )
    histogram.get_lock()  # the array carries its own lock


@pytest.mark.task("add")
@pytest.mark.parametrize("bins", [0, -2])
def test_a_histogram_without_bins_is_rejected(exercise, bins):
    assert_rejected(f"make_histogram({bins})", lambda: exercise.make_histogram(bins))


@pytest.mark.task("add")
def test_add_counts_one_in_its_bin_only(exercise):
    histogram = exercise.make_histogram(3)
    for index in [2, 0, 2]:
        exercise.add(histogram, index)
    assert counts(histogram) == [1, 0, 2], f"add to bins 2, 0, 2 of a new histogram gave {counts(histogram)}, expected [1, 0, 2]"


@pytest.mark.task("add")
def test_add_reads_then_pauses_once_then_writes(exercise):
    histogram = exercise.make_histogram(2)
    histogram[1] = 5
    seen = []

    def pause():
        seen.append(histogram[1])  # not written yet
        histogram[1] = 100  # what another process would write meanwhile

    exercise.add(histogram, 1, pause)
    assert seen == [5], f"pause was called {len(seen)} times (seeing {seen}); expected once, before the write, seeing 5"
    assert counts(histogram) == [0, 6], (
        f"add(histogram, 1, pause) with bin 1 at 5 left {counts(histogram)}; expected [0, 6]: "
        "read the counter, pause, then write the value read plus one"
    )


@pytest.mark.task("add")
def test_add_holds_the_arrays_own_lock_while_it_pauses(exercise):
    histogram = exercise.make_histogram(1)
    taken = []

    def try_the_lock():
        lock = histogram.get_lock()
        if got := lock.acquire(block=False):
            lock.release()
        taken.append(got)

    def pause():
        other = threading.Thread(target=try_the_lock)
        other.start()
        other.join(5)

    exercise.add(histogram, 0, pause)
    assert taken == [False], "another thread could take histogram.get_lock() during the pause: hold it from read to write"
    try_the_lock()
    assert taken[-1] is True, "histogram.get_lock() was still held after add returned"


@pytest.mark.task("add")
@pytest.mark.parametrize("index", [3, -1, 7])
def test_add_rejects_a_bin_outside_the_histogram(exercise, index):
    histogram = exercise.make_histogram(3)
    paused = []
    with pytest.raises(IndexError):
        exercise.add(histogram, index, lambda: paused.append(1))
    assert counts(histogram) == [0, 0, 0] and not paused, (
        f"add(histogram, {index}) on 3 bins changed the counts to {counts(histogram)} or paused {len(paused)} times"
    )
    assert histogram.get_lock().acquire(timeout=1), "the lock was left held after the IndexError"
    histogram.get_lock().release()


# ---- task: count in worker processes ------------------------------------------------


def call(items, bins, mp_context, workers):
    return f"histogram_in_processes({items!r}, {bins}, workers={workers}) under {mp_context.get_start_method()}"


@pytest.mark.task("in_processes")
@pytest.mark.parametrize("workers", [1, 3])
def test_the_counts_of_every_item(exercise, mp_context, workers):
    items = [0, 1, 3, 1, 0, 0, 3]
    got = exercise.histogram_in_processes(iter(items), 5, workers=workers, mp_context=mp_context)
    assert type(got) is list and plain(got) == [3, 2, 0, 2, 0], (
        f"{call(items, 5, mp_context, workers)} returned {got!r}, expected [3, 2, 0, 2, 0]"
    )


@pytest.mark.task("in_processes")
def test_no_items_and_the_default_context(exercise):
    got = exercise.histogram_in_processes([], 2)
    assert plain(got) == [0, 0], f"histogram_in_processes([], 2) returned {got!r}, expected [0, 0]"


@pytest.mark.task("in_processes")
@pytest.mark.parametrize("items, bins, workers", [([0], 0, 2), ([0], 1, 0), ([0, 2], 2, 2), ([-1], 2, 2)])
def test_bad_arguments_are_rejected(exercise, mp_context, items, bins, workers):
    assert_rejected(call(items, bins, mp_context, workers),
                    lambda: exercise.histogram_in_processes(items, bins, workers=workers, mp_context=mp_context))


@pytest.mark.task("in_processes")
def test_a_failing_worker_is_reported(exercise, mp_context):
    with pytest.raises(RuntimeError):
        exercise.histogram_in_processes([0, 0], 1, workers=2, mp_context=mp_context, pause=ch03_probes.failing_pause)


# ---- task: no update is lost between processes ---------------------------------------


@pytest.mark.task("no_lost_update")
def test_no_update_is_lost_when_processes_add_at_once(exercise, mp_context):
    items = [1] * 6
    arrived = mp_context.Value("i", 0, lock=False)
    pause = functools.partial(ch03_probes.meet_pause, arrived, mp_context.Condition(), PAUSE)
    got = exercise.histogram_in_processes(items, 2, workers=2, mp_context=mp_context, pause=pause)
    assert plain(got) == [0, 6], (
        f"{call(items, 2, mp_context, 2)} with a pause between each read and write returned {got!r}, "
        "expected [0, 6]: updates were lost. Hold histogram.get_lock(), the one lock every process shares, "
        "from the read to the write"
    )
    assert arrived.value == 6, f"the pause was called {arrived.value} times for 6 items, expected 6"


@pytest.mark.task("in_processes")
def test_the_defaults_are_the_documented_ones(exercise):
    wrong = ch03_probes.defaults_differ(exercise.histogram_in_processes, workers=2, mp_context=None, pause=None)
    assert not wrong, wrong
