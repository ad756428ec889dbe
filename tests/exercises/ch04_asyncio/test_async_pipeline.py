"""Graded tests for exercises/ch04_asyncio/async_pipeline.py.

The items come from a generator that counts how many were read; the transform
sleeps on a virtual clock (run_async(virtual_clock=True)) and counts how many
run at once and how many have finished. Backpressure is then a plain count
(read minus finished), concurrency a plain maximum, and a pipeline that never
shuts down leaves every task waiting: the clock jumps to the run's deadline
and the test fails at once instead of hanging.
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course.testing import assert_rejected, plain, run_async

MODEL = settings(
    derandomize=True, max_examples=25, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
DEADLINE = 1000.0  # virtual seconds
MAX_LAG = 1.0  # real seconds the loop may be held: generous, a busy machine must not fail a test


class TransformError(Exception):
    pass


class Work:
    """Items read lazily and a transform that takes `delay(item)` seconds of loop time."""

    def __init__(self, items, delay=lambda item: 1.0, failing=()):
        self.items = list(items)
        self.delay = delay
        self.failing = set(failing)
        self.read = 0
        self.running = 0
        self.most_running = 0
        self.finished = 0
        self.calls: list = []
        self.worst_ahead = 0  # most items read and not yet finished, seen when a transform starts

    def source(self):
        for item in self.items:
            self.read += 1
            yield item

    async def transform(self, item):
        self.calls.append(item)
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        self.worst_ahead = max(self.worst_ahead, self.read - self.finished)
        try:
            await asyncio.sleep(self.delay(item))
            if item in self.failing:
                raise TransformError(f"transform({item!r}) failed")
            return item * 10
        finally:
            self.running -= 1
            self.finished += 1


def pipeline(exercise, work, *, workers, maxsize, items=None):
    """run_pipeline on the virtual clock: (result or exception, loop time, tasks left running)."""

    async def main():
        loop = asyncio.get_running_loop()
        before = asyncio.all_tasks()
        try:
            outcome = await exercise.run_pipeline(
                work.source() if items is None else items, work.transform, workers=workers, maxsize=maxsize
            )
        except Exception as error:  # noqa: BLE001 - the test looks at it
            outcome = error
        left = [task for task in asyncio.all_tasks() - before if not task.done()]
        return outcome, loop.time(), len(left)

    try:
        return run_async(main, virtual_clock=True, timeout=DEADLINE, max_lag=MAX_LAG)
    except TimeoutError:
        pytest.fail(
            f"run_pipeline({len(work.items)} items, workers={workers}, maxsize={maxsize}) never returned: "
            f"{work.read} item(s) read, {work.finished} transformed, {work.running} transform(s) running, and every "
            "task waiting (consumers that never learn the items ran out?)",
            pytrace=False,
        )


# ---- task: every_item ---------------------------------------------------------------------


@pytest.mark.task("every_item")
def test_every_item_is_transformed_once_and_the_results_keep_the_order(exercise):
    work = Work(range(10), delay=lambda item: (7 * item) % 4 + 0.5)
    got, _, left = pipeline(exercise, work, workers=3, maxsize=2)
    expected = [item * 10 for item in range(10)]
    assert plain(got) == expected, f"run_pipeline(range(10), x * 10, workers=3, maxsize=2) returned {got!r}, expected {expected}"
    assert sorted(work.calls) == list(range(10)), f"transform was called on {sorted(work.calls)}, expected each item once"


@pytest.mark.task("every_item")
def test_no_items_give_an_empty_list(exercise):
    work = Work([])
    got, _, left = pipeline(exercise, work, workers=2, maxsize=1)
    assert plain(got) == [] and left == 0, f"run_pipeline([]) returned {got!r} with {left} task(s) left, expected []"


@pytest.mark.task("every_item")
def test_bad_workers_or_maxsize_are_rejected_before_reading(exercise):
    for workers, maxsize in ((0, 1), (-1, 1), (1, 0), (2, -4)):
        work = Work(range(3))
        assert_rejected(
            f"run_pipeline(items, transform, workers={workers}, maxsize={maxsize})",
            lambda: run_async(
                lambda: exercise.run_pipeline(work.source(), work.transform, workers=workers, maxsize=maxsize),
                virtual_clock=True,
            ),
        )
        assert work.read == 0, f"run_pipeline(workers={workers}, maxsize={maxsize}) read {work.read} item(s) before refusing"


@pytest.mark.task("every_item")
@MODEL
@given(items=st.lists(st.integers(-50, 50), max_size=14), workers=st.integers(1, 4), maxsize=st.integers(1, 3))
def test_the_results_match_a_plain_loop(exercise, items, workers, maxsize):
    work = Work(items, delay=lambda item: (item % 3) + 0.25)
    got, _, left = pipeline(exercise, work, workers=workers, maxsize=maxsize)
    expected = [item * 10 for item in items]
    assert plain(got) == expected and left == 0, (
        f"run_pipeline({items}, x * 10, workers={workers}, maxsize={maxsize}) returned {got!r} with {left} task(s) "
        f"left, expected {expected}"
    )
    assert sorted(work.calls) == sorted(items), f"transform was called on {sorted(work.calls)}, expected {sorted(items)}"


# ---- task: concurrent_workers --------------------------------------------------------------


@pytest.mark.task("concurrent_workers")
def test_workers_transforms_run_at_once(exercise):
    work = Work(range(12))
    got, took, _ = pipeline(exercise, work, workers=4, maxsize=2)
    assert work.most_running == 4 and abs(took - 3) < 1e-6, (
        f"run_pipeline(12 items of 1 s, workers=4) had at most {work.most_running} transform(s) running at once and "
        f"took {took} s of loop time, expected 4 at once and 3 s"
    )


@pytest.mark.task("concurrent_workers")
def test_never_more_transforms_than_workers(exercise):
    work = Work(range(9), delay=lambda item: 0.5 + item % 2)
    pipeline(exercise, work, workers=2, maxsize=5)
    assert work.most_running <= 2, f"run_pipeline(workers=2) had {work.most_running} transforms running at once"


# ---- task: backpressure -----------------------------------------------------------------


@pytest.mark.task("backpressure")
def test_the_producer_reads_only_a_bounded_way_ahead(exercise):
    work = Work(range(40))
    got, _, _ = pipeline(exercise, work, workers=2, maxsize=3)
    assert len(plain(got)) == 40
    assert work.worst_ahead <= 3 + 2 + 1, (
        f"run_pipeline(40 items, workers=2, maxsize=3) had read {work.worst_ahead} items whose transform had not "
        "finished, expected at most maxsize + workers + 1 = 6: items must be read lazily, as the queue makes room"
    )


@pytest.mark.task("backpressure")
def test_items_can_be_any_iterable_read_once(exercise):
    work = Work(range(5))
    got, _, _ = pipeline(exercise, work, workers=2, maxsize=1, items=iter(range(5)))
    assert plain(got) == [0, 10, 20, 30, 40], f"run_pipeline(iter(range(5))) returned {got!r}"


# ---- task: clean_shutdown ---------------------------------------------------------------


@pytest.mark.task("clean_shutdown")
def test_items_still_queued_when_the_input_ends_are_all_transformed(exercise):
    work = Work(range(8), delay=lambda item: 5.0 if item < 2 else 0.5)
    got, took, left = pipeline(exercise, work, workers=2, maxsize=6)
    assert plain(got) == [item * 10 for item in range(8)], (
        f"the input ran out while 6 items were still queued behind two slow ones; run_pipeline returned {got!r}, "
        "expected every item's result: consumers finish the queue before they end"
    )
    assert left == 0, f"run_pipeline returned with {left} task(s) still running"


@pytest.mark.task("clean_shutdown")
def test_every_task_has_ended_when_it_returns(exercise):
    work = Work(range(6))
    got, _, left = pipeline(exercise, work, workers=3, maxsize=2)
    assert left == 0 and work.running == 0, (
        f"run_pipeline returned {got!r} while {left} task(s) it started were still running, expected none"
    )


@pytest.mark.task("clean_shutdown")
def test_a_failed_transform_stops_the_pipeline_and_raises_its_error(exercise):
    work = Work(range(30), failing={3})
    got, took, left = pipeline(exercise, work, workers=2, maxsize=2)
    assert isinstance(got, TransformError) and str(got) == "transform(3) failed", (
        f"transform(3) raised TransformError; run_pipeline gave {got!r}, expected that TransformError itself"
    )
    assert left == 0 and work.running == 0, (
        f"run_pipeline raised while {left} task(s) were still running and {work.running} transform(s) in progress, "
        "expected the producer and the other consumers cancelled and ended"
    )
    assert work.read <= 3 + 1 + 2 + 2 + 1, (
        f"after transform(3) failed, the producer went on reading: {work.read} of 30 items read, expected it to stop"
    )
