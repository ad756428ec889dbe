"""Graded tests for exercises/ch04_asyncio/fan_out.py.

The jobs are small coroutines on a virtual clock (run_async(virtual_clock=True)):
a job that "works for 2 s" sleeps 2 s of loop time, which passes at once. Each
job records when it started, ended, was cancelled and finished its cleanup (a
`finally` block that itself awaits), so "the others were cancelled and cleaned
up before fan_out raised" is checked against the loop's clock, exactly.
"""

from __future__ import annotations

import asyncio
import math

import pytest

from course.testing import plain, run_async

DEADLINE = 1000.0  # virtual seconds
MAX_LAG = 1.0  # real seconds the loop may be held: generous, a busy machine must not fail a test


class JobError(Exception):
    pass


class Jobs:
    """A log of what the jobs did, on the loop's clock."""

    def __init__(self):
        self.started: dict[int, float] = {}
        self.cancelled: dict[int, float] = {}
        self.cleaned: dict[int, float] = {}
        self.errors: dict[int, JobError] = {}

    def job(self, number, seconds=1.0, fails=False, result=None):
        async def run():
            loop = asyncio.get_running_loop()
            self.started[number] = loop.time()
            try:
                await asyncio.sleep(seconds)
                if fails:
                    self.errors[number] = JobError(f"job {number} failed")
                    raise self.errors[number]
                return result if result is not None else f"result {number}"
            except asyncio.CancelledError:
                self.cancelled[number] = loop.time()
                raise
            finally:
                await asyncio.sleep(0)  # cleanup that awaits, like closing a connection
                self.cleaned[number] = loop.time()

        return run


def run(main):
    return run_async(main, virtual_clock=True, timeout=DEADLINE, max_lag=MAX_LAG)


def call_fan_out(exercise, jobs):
    """fan_out(jobs) on the virtual clock: (result or exception, loop time, tasks left behind)."""

    async def main():
        loop = asyncio.get_running_loop()
        before = asyncio.all_tasks()
        try:
            outcome = await exercise.fan_out(jobs)
        except Exception as error:  # noqa: BLE001 - the test looks at it
            outcome = error
        left = [task for task in asyncio.all_tasks() - before if not task.done()]
        return outcome, loop.time(), len(left)

    return run(main)


# ---- task: results ---------------------------------------------------------------------


@pytest.mark.task("results")
def test_results_come_back_in_the_order_of_the_jobs(exercise):
    log = Jobs()
    jobs = [log.job(0, 3), log.job(1, 1), log.job(2, 2), log.job(3, 0, result=[1, 2])]
    got, took, left = call_fan_out(exercise, jobs)
    assert plain(got) == ["result 0", "result 1", "result 2", [1, 2]], (
        f"fan_out(4 jobs) returned {got!r}, expected each job's result at its index"
    )
    assert left == 0, f"fan_out returned with {left} of its tasks still running"


@pytest.mark.task("results")
def test_the_jobs_run_concurrently(exercise):
    log = Jobs()
    jobs = [log.job(i, 2) for i in range(5)]
    got, took, _ = call_fan_out(exercise, jobs)
    starts = sorted(log.started.values())
    assert starts == [0.0] * 5 and math.isclose(took, 2, abs_tol=1e-6), (
        f"five jobs of 2 s each started at {starts} (loop time) and fan_out took {took} s; expected all to start "
        "at 0 and 2 s in all"
    )
    assert len(plain(got)) == 5


@pytest.mark.task("results")
def test_no_jobs_give_an_empty_list(exercise):
    got, took, left = call_fan_out(exercise, [])
    assert plain(got) == [] and left == 0, f"fan_out([]) returned {got!r}, expected []"


# ---- task: failure_cancels_rest -----------------------------------------------------------


@pytest.mark.task("failure_cancels_rest")
def test_a_failure_cancels_the_other_jobs_and_raises_an_exception_group(exercise):
    log = Jobs()
    jobs = [log.job(0, 100), log.job(1, 1, fails=True), log.job(2, 100)]
    got, took, left = call_fan_out(exercise, jobs)
    assert isinstance(got, ExceptionGroup), (
        f"job 1 raised JobError after 1 s; fan_out gave {got!r}, expected an ExceptionGroup holding that JobError"
    )
    assert list(got.exceptions) == [log.errors[1]], (
        f"fan_out raised {got!r} with {list(got.exceptions)!r}; expected exactly the JobError job 1 raised"
    )
    assert sorted(log.cancelled) == [0, 2] and all(math.isclose(t, 1, abs_tol=1e-6) for t in log.cancelled.values()), (
        f"job 1 failed at 1 s; jobs were cancelled at {log.cancelled} (loop time), expected jobs 0 and 2 at 1 s"
    )
    assert math.isclose(took, 1, abs_tol=1e-6), f"fan_out raised at {took} s, expected at 1 s, when job 1 failed"
    assert left == 0, f"fan_out raised while {left} of its tasks were still running (orphans), expected none"


@pytest.mark.task("failure_cancels_rest")
def test_fan_out_raises_only_after_the_cancelled_jobs_cleaned_up(exercise):
    log = Jobs()
    jobs = [log.job(0, 100), log.job(1, 2, fails=True), log.job(2, 100)]
    got, _, left = call_fan_out(exercise, jobs)
    cleaned_before = sorted(log.cleaned)
    assert isinstance(got, ExceptionGroup), f"fan_out gave {got!r}, expected an ExceptionGroup"
    assert left == 0 and cleaned_before == [0, 1, 2], (
        f"when fan_out raised, {left} of its tasks were still running and only jobs {cleaned_before} had finished "
        "their cleanup (finally); expected every job finished"
    )


@pytest.mark.task("failure_cancels_rest")
def test_jobs_that_fail_together_are_all_in_the_group(exercise):
    log = Jobs()
    jobs = [log.job(0, 1, fails=True), log.job(1, 1, fails=True), log.job(2, 5)]
    got, took, left = call_fan_out(exercise, jobs)
    assert isinstance(got, ExceptionGroup), f"fan_out gave {got!r}, expected an ExceptionGroup"
    inside = {id(error) for error in got.exceptions}
    assert inside == {id(log.errors[0]), id(log.errors[1])} and len(got.exceptions) == 2, (
        f"jobs 0 and 1 both raised at 1 s; the ExceptionGroup holds {list(got.exceptions)!r}, expected both errors"
    )
    assert list(log.cancelled) == [2] and left == 0, f"cancelled {log.cancelled}, {left} task(s) left; expected job 2"


# ---- task: cancellation_propagates ---------------------------------------------------------


@pytest.mark.task("cancellation_propagates")
def test_a_cancelled_fan_out_cancels_its_jobs_and_lets_the_cancellation_through(exercise):
    log = Jobs()
    jobs = [log.job(i, 100) for i in range(3)]

    async def main():
        loop = asyncio.get_running_loop()
        before = asyncio.all_tasks()
        outcome = "returned"
        try:
            async with asyncio.timeout(4):
                outcome = f"returned {await exercise.fan_out(jobs)!r}"
        except TimeoutError:
            outcome = "TimeoutError"
        left = [task for task in asyncio.all_tasks() - before if not task.done()]
        return outcome, loop.time(), len(left), sorted(log.cleaned)

    outcome, now, left, cleaned = run(main)
    assert outcome == "TimeoutError", (
        f"an asyncio.timeout(4) around fan_out(3 jobs of 100 s): fan_out {outcome} at {now} s and the timeout did "
        "not fire; expected fan_out to let the CancelledError through, so the timeout raises TimeoutError"
    )
    assert sorted(log.cancelled) == [0, 1, 2] and cleaned == [0, 1, 2] and left == 0, (
        f"after the timeout, jobs {sorted(log.cancelled)} had been cancelled, {cleaned} had cleaned up and {left} "
        "task(s) were still running; expected all three cancelled and finished"
    )
    assert math.isclose(now, 4, abs_tol=1e-6), f"the timeout took effect at {now} s, expected 4"


@pytest.mark.task("cancellation_propagates")
def test_a_cancelled_fan_out_is_cancelled_for_its_caller(exercise):
    log = Jobs()
    jobs = [log.job(i, 100) for i in range(2)]

    async def main():
        task = asyncio.create_task(exercise.fan_out(jobs))
        await asyncio.sleep(1)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        return task.cancelled(), sorted(log.cleaned)

    cancelled, cleaned = run(main)
    assert cancelled and cleaned == [0, 1], (
        f"task.cancel() on a task running fan_out: the task {'was' if cancelled else 'was not'} cancelled and jobs "
        f"{cleaned} cleaned up; expected the task to end cancelled after both jobs cleaned up"
    )
