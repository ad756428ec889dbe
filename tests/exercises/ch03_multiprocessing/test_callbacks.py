"""Graded tests for exercises/ch03_multiprocessing/callbacks.py.

Errors must arrive through the error callback, each under its item's
position, even when every other call succeeds. Answers are made to arrive out
of order (the first item waits for the last), so recording them as they come
shows. A worker killed mid-task must end in TimeoutError, not a hang: the
`timeout` given is short, and the test's own timeout is the backstop.
"""

import functools
import os
import sys
from pathlib import Path

import pytest

from course.testing import assert_rejected, plain

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
import ch03_probes  # noqa: E402

SHORT = 3.0


def call(items, mp_context, workers=2):
    return f"run_all(picky_square, {items!r}, workers={workers}) under {mp_context.get_start_method()}"


# ---- task: every result and every error, by position ----------------------------------


@pytest.mark.task("collect")
@pytest.mark.parametrize("workers", [1, 3])
def test_results_come_back_by_position(exercise, mp_context, workers):
    items = [3, 1, 4, 1, 5]
    results, errors = exercise.run_all(ch03_probes.picky_square, iter(items), workers=workers, mp_context=mp_context, timeout=SHORT)
    assert type(results) is list and plain(results) == [9, 1, 16, 1, 25] and plain(errors) == {}, (
        f"{call(items, mp_context, workers)} returned {(results, errors)!r}, expected ([9, 1, 16, 1, 25], {{}})"
    )


@pytest.mark.task("collect")
def test_every_error_is_reported_under_its_position(exercise, mp_context):
    items = [2, -1, "x", 3, -7]
    results, errors = exercise.run_all(ch03_probes.picky_square, items, workers=2, mp_context=mp_context, timeout=SHORT)
    expected = {1: "ValueError: no square for -1", 2: "TypeError: cannot square 'x'", 4: "ValueError: no square for -7"}
    assert type(errors) is dict and plain(errors) == expected, (
        f"{call(items, mp_context)} reported errors {errors!r}, expected {expected!r}: "
        "an exception in a worker is lost unless an error_callback (or .get()) collects it"
    )
    assert plain(results) == [4, None, None, 9, None], f"{call(items, mp_context)} returned results {results!r}, expected [4, None, None, 9, None]"


@pytest.mark.task("collect")
def test_answers_arriving_out_of_order_land_in_place(exercise, mp_context):
    items = [0, 1, "last"]
    with mp_context.Manager() as manager:
        fn = functools.partial(ch03_probes.slow_first, manager.Event())
        results, errors = exercise.run_all(fn, items, workers=2, mp_context=mp_context, timeout=2 * ch03_probes.RENDEZVOUS_TIMEOUT)
    assert plain(results) == [0, 1, "last"] and errors == {}, (
        f"run_all(fn, {items!r}) under {mp_context.get_start_method()}, where item 0 finishes last, returned "
        f"{(results, errors)!r}; expected ([0, 1, 'last'], {{}}): record each answer at its item's position"
    )


@pytest.mark.task("collect")
def test_no_items_and_the_default_context(exercise):
    got = exercise.run_all(ch03_probes.picky_square, [])
    assert plain(list(got)) == [[], {}], f"run_all(picky_square, []) returned {got!r}, expected ([], {{}})"
    got = exercise.run_all(ch03_probes.picky_square, [-2])
    assert plain(list(got)) == [[None], {0: "ValueError: no square for -2"}], f"run_all(picky_square, [-2]) returned {got!r}"


# ---- task: bounded: a dead worker means TimeoutError, not a hang -------------------------


@pytest.mark.task("bounded")
def test_a_worker_that_dies_mid_task_gives_a_timeout_error(exercise, mp_context):
    with pytest.raises(TimeoutError):
        exercise.run_all(ch03_probes.dying_stage, ["a", "die", "b"], workers=2, mp_context=mp_context, timeout=1.0)


@pytest.mark.task("bounded")
@pytest.mark.parametrize("workers", [0, -1])
def test_fewer_than_one_worker_is_rejected(exercise, workers):
    assert_rejected(f"run_all(picky_square, [1], workers={workers})",
                    lambda: exercise.run_all(ch03_probes.picky_square, [1], workers=workers))


# ---- task: everything is submitted before waiting ---------------------------------------


@pytest.mark.task("parallel")
@pytest.mark.parametrize("workers", [2, 3])
def test_calls_run_at_the_same_time_in_worker_processes(exercise, mp_context, workers):
    items = list(range(workers))
    with ch03_probes.meeting(mp_context, workers) as fn:
        results, errors = exercise.run_all(fn, items, workers=workers, mp_context=mp_context,
                                           timeout=2 * ch03_probes.RENDEZVOUS_TIMEOUT)
    assert errors == {} and all(met for _, _, met in results), (
        f"run_all(fn, {items!r}, workers={workers}) under {mp_context.get_start_method()} returned {results!r}: "
        "the calls did not run at the same time; submit every item before waiting for any"
    )
    pids = {pid for _, pid, _ in results}
    assert len(pids) == workers and os.getpid() not in pids, f"the calls ran in processes {sorted(pids)}"


@pytest.mark.task("collect")
def test_the_defaults_are_the_documented_ones(exercise):
    wrong = ch03_probes.defaults_differ(exercise.run_all, workers=2, mp_context=None, timeout=10.0)
    assert not wrong, wrong
