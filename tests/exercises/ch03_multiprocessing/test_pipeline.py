"""Graded tests for exercises/ch03_multiprocessing/pipeline.py.

Every test runs under fork, spawn and forkserver. A pipeline that hangs
(a worker without its sentinel, workers joined before their large answers are
read) is caught by its own `timeout`, kept short here, so it fails with
TimeoutError instead of hanging the grader; the leak check then proves no
worker and no queue feeder thread was left behind.
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

SHORT = 3.0  # seconds: a correct pipeline never waits nearly this long here


def call(items, stage, mp_context, workers):
    return f"run_pipeline({items!r}, {stage.__name__}, workers={workers}) under {mp_context.get_start_method()}"


# ---- task: results in item order, errors re-raised ---------------------------------


@pytest.mark.task("results")
@pytest.mark.parametrize("workers", [1, 3])
def test_results_come_back_in_item_order(exercise, mp_context, workers):
    items = [5, 3, 9, 1, 7, 2]
    got = exercise.run_pipeline((x for x in items), ch03_probes.triple, workers=workers, mp_context=mp_context, timeout=SHORT)
    assert type(got) is list and plain(got) == [3 * x for x in items], (
        f"{call(items, ch03_probes.triple, mp_context, workers)} returned {got!r}, expected {[3 * x for x in items]!r}"
    )


@pytest.mark.task("results")
def test_no_items_give_an_empty_list(exercise, mp_context):
    got = exercise.run_pipeline([], ch03_probes.triple, workers=2, mp_context=mp_context, timeout=SHORT)
    assert plain(got) == [], f"{call([], ch03_probes.triple, mp_context, 2)} returned {got!r}, expected []"


@pytest.mark.task("results")
def test_the_default_context_and_timeout_work(exercise):
    got = exercise.run_pipeline(["a", "b"], ch03_probes.triple)
    assert plain(got) == ["aaa", "bbb"], f"run_pipeline(['a', 'b'], triple) returned {got!r}, expected ['aaa', 'bbb']"


@pytest.mark.task("results")
def test_the_first_failing_item_is_raised_after_every_item_ran(exercise, mp_context):
    items = [1, -2, 3, -4, 5]
    with mp_context.Manager() as manager:
        log = manager.list()
        stage = functools.partial(ch03_probes.logged_stage, log)
        with pytest.raises(ValueError, match="negative item -2$"):
            exercise.run_pipeline(items, stage, workers=2, mp_context=mp_context, timeout=SHORT)
        ran = sorted(log)
    assert ran == sorted(items), (
        f"run_pipeline({items!r}, a stage failing on negatives) under {mp_context.get_start_method()} "
        f"ran the stage on {ran!r}; every item must still be processed (a failing item does not stop a worker)"
    )


@pytest.mark.task("results")
def test_the_error_raised_is_the_first_by_position_not_by_arrival(exercise, mp_context):
    with mp_context.Manager() as manager:
        stage = functools.partial(ch03_probes.late_failure, manager.Event())
        with pytest.raises(ValueError, match="^item 1 failed$"):
            exercise.run_pipeline([1, 2], stage, workers=2, mp_context=mp_context,
                                  timeout=2 * ch03_probes.RENDEZVOUS_TIMEOUT)


@pytest.mark.task("results")
@pytest.mark.parametrize("workers", [0, -3])
def test_fewer_than_one_worker_is_rejected(exercise, mp_context, workers):
    assert_rejected(f"run_pipeline([1], triple, workers={workers})",
                    lambda: exercise.run_pipeline([1], ch03_probes.triple, workers=workers, mp_context=mp_context))


# ---- task: clean shutdown: a sentinel per worker, drain before join, bounded waits ----


@pytest.mark.task("shutdown")
def test_every_worker_gets_its_own_sentinel(exercise, mp_context):
    items = list(range(5))
    got = exercise.run_pipeline(items, ch03_probes.triple, workers=3, mp_context=mp_context, timeout=SHORT)
    assert plain(got) == [3 * x for x in items], f"{call(items, ch03_probes.triple, mp_context, 3)} returned {got!r}"


@pytest.mark.task("shutdown")
def test_large_answers_are_read_before_the_workers_are_joined(exercise, mp_context):
    items = [1, 2, 3]
    got = exercise.run_pipeline(items, ch03_probes.big_answer, workers=2, mp_context=mp_context, timeout=SHORT)
    sizes = [len(answer) for answer in got]
    assert sizes == [300_000] * 3 and [answer[0] for answer in got] == items, (
        f"{call(items, ch03_probes.big_answer, mp_context, 2)} returned answers of sizes {sizes}, "
        "expected three answers of 300,000 bytes in item order"
    )


@pytest.mark.task("shutdown")
def test_a_worker_that_dies_gives_a_timeout_error_not_a_hang(exercise, mp_context):
    items = ["a", "die", "b"]
    with pytest.raises(TimeoutError):
        exercise.run_pipeline(items, ch03_probes.dying_stage, workers=2, mp_context=mp_context, timeout=1.0)


@pytest.mark.task("shutdown")
def test_a_worker_that_dies_is_still_reported_with_one_worker(exercise, mp_context):
    with pytest.raises(TimeoutError):
        exercise.run_pipeline(["die"], ch03_probes.dying_stage, workers=1, mp_context=mp_context, timeout=1.0)


@pytest.mark.task("shutdown")
def test_a_worker_that_answers_but_never_exits_gives_a_timeout_error(exercise, mp_context):
    with pytest.raises(TimeoutError):
        exercise.run_pipeline([1, 2], ch03_probes.lingering_stage, workers=1, mp_context=mp_context, timeout=1.0)


# ---- task: the workers run at the same time, in processes of their own ---------------


@pytest.mark.task("parallel")
@pytest.mark.parametrize("workers", [2, 3])
def test_workers_run_items_at_the_same_time(exercise, mp_context, workers):
    items = list(range(workers))
    with ch03_probes.meeting(mp_context, workers) as stage:
        got = exercise.run_pipeline(items, stage, workers=workers, mp_context=mp_context, timeout=2 * ch03_probes.RENDEZVOUS_TIMEOUT)
    pids = {pid for _, pid, _ in got}
    assert [x for x, _, _ in got] == items and all(met for _, _, met in got), (
        f"run_pipeline({items!r}, a stage that waits for {workers} workers at once, workers={workers}) under "
        f"{mp_context.get_start_method()} returned {got!r}: the items were not processed at the same time"
    )
    assert len(pids) == workers and os.getpid() not in pids, (
        f"the items ran in processes {sorted(pids)}; expected {workers} worker processes other than the caller ({os.getpid()})"
    )


@pytest.mark.task("results")
def test_the_defaults_are_the_documented_ones(exercise):
    wrong = ch03_probes.defaults_differ(exercise.run_pipeline, workers=2, mp_context=None, timeout=10.0)
    assert not wrong, wrong
