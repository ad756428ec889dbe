"""Graded tests for exercises/ch04_asyncio/rate_limiter.py.

The bucket is driven by a clock the tests control: run_async(virtual_clock=True)
gives a loop whose clock jumps to the next timer when every task waits. A
bucket that waits 0.25 s with asyncio.sleep gets through at loop time 0.25,
exactly, at once in real time. The tests record the loop time at which each
acquire() returned and compare it with the times the bucket's rule gives; a
burst shows as acquisitions too close together, a sluggish bucket as times too
late. time.sleep would not move this clock, and blocks the loop: the loop
watchdog reports it.
"""

from __future__ import annotations

import asyncio

import pytest

from course.testing import assert_rejected, plain, run_async

DEADLINE = 10_000.0  # virtual seconds
MAX_LAG = 1.0  # real seconds the loop may be held: generous, a busy machine must not fail a test


def run(main):
    return run_async(main, virtual_clock=True, timeout=DEADLINE, max_lag=MAX_LAG)


def close(got, expected):
    return len(got) == len(expected) and all(abs(a - b) < 1e-6 for a, b in zip(got, expected))


def rounded(times):
    return [round(t, 4) for t in times]


async def together(bucket, n, start=0.0):
    """n acquirers call acquire() one after another at loop time `start`; each one's time through, in call order."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(start - loop.time())
    through: dict[int, float] = {}

    async def one(number):
        await bucket.acquire()
        through[number] = loop.time()

    async with asyncio.TaskGroup() as group:
        for number in range(n):
            group.create_task(one(number))
    return [through[number] for number in range(n)]


# ---- task: burst_then_rate ----------------------------------------------------------------


@pytest.mark.task("burst_then_rate")
def test_a_full_bucket_lets_capacity_through_at_once_then_one_per_interval(exercise):
    async def main():
        bucket = exercise.TokenBucket(rate=4, capacity=3)
        loop = asyncio.get_running_loop()
        times = []
        for _ in range(7):
            await bucket.acquire()
            times.append(loop.time())
        return times

    times = run(main)
    expected = [0, 0, 0, 0.25, 0.5, 0.75, 1.0]
    assert close(plain(times), expected), (
        f"TokenBucket(rate=4, capacity=3): 7 acquire() calls one after another got through at {rounded(times)} "
        f"(loop time), expected {expected}"
    )


@pytest.mark.task("burst_then_rate")
def test_a_slow_rate_waits_whole_seconds(exercise):
    async def main():
        return await together(exercise.TokenBucket(rate=0.5, capacity=1), 3)

    times = run(main)
    assert close(times, [0, 2, 4]), f"TokenBucket(rate=0.5, capacity=1): 3 acquirers got through at {rounded(times)}, expected [0, 2, 4]"


@pytest.mark.task("burst_then_rate")
def test_a_bad_rate_or_capacity_is_rejected(exercise):
    for rate, capacity in ((0, 1), (-2, 1), (1, 0), (1, -3)):
        assert_rejected(f"TokenBucket(rate={rate}, capacity={capacity})", lambda: exercise.TokenBucket(rate, capacity))
    assert run(lambda: exercise.TokenBucket(rate=1, capacity=1).acquire()) is None, "acquire() should return None"


# ---- task: capped ----------------------------------------------------------------------


@pytest.mark.task("capped")
def test_tokens_never_pile_up_beyond_the_capacity(exercise):
    async def main():
        bucket = exercise.TokenBucket(rate=2, capacity=3)
        first = await together(bucket, 3)
        later = await together(bucket, 5, start=100.0)  # idle for 100 s: 200 tokens' worth of time
        return first, later

    first, later = run(main)
    assert close(first, [0, 0, 0]), f"a full TokenBucket(rate=2, capacity=3) let 3 acquirers through at {rounded(first)}"
    expected = [100, 100, 100, 100.5, 101]
    assert close(later, expected), (
        f"TokenBucket(rate=2, capacity=3) idle for 100 s, then 5 acquirers at once got through at {rounded(later)}, "
        f"expected {expected}: the bucket holds at most 3 tokens however long it was idle"
    )


@pytest.mark.task("capped")
def test_a_partly_refilled_bucket_lets_through_what_has_flowed_back(exercise):
    async def main():
        bucket = exercise.TokenBucket(rate=2, capacity=4)
        await together(bucket, 4)  # empty at 0
        return await together(bucket, 3, start=1.25)  # 2.5 tokens back

    times = run(main)
    assert close(times, [1.25, 1.25, 1.5]), (
        f"TokenBucket(rate=2, capacity=4) emptied at 0, then 3 acquirers at 1.25 s got through at {rounded(times)}, "
        "expected [1.25, 1.25, 1.5]: 2.5 tokens have flowed back, and the third waits for the missing half"
    )


# ---- task: concurrent ----------------------------------------------------------------------


@pytest.mark.task("concurrent")
def test_acquirers_waiting_together_get_through_one_per_interval_in_order(exercise):
    times = run(lambda: together(exercise.TokenBucket(rate=4, capacity=2), 8))
    expected = [0, 0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5]
    assert close(times, expected), (
        f"TokenBucket(rate=4, capacity=2): 8 tasks called acquire() at once and got through at {rounded(times)} (in "
        f"the order they called), expected {expected}: never a burst, nobody later than the rate allows, first come "
        "first served"
    )


@pytest.mark.task("concurrent")
def test_no_window_ever_holds_more_than_the_limit(exercise):
    async def main():
        bucket = exercise.TokenBucket(rate=5, capacity=2)
        waves = await asyncio.gather(together(bucket, 6), together(bucket, 6, start=0.3), together(bucket, 4, start=3))
        return sorted(t for wave in waves for t in wave)

    times = run(main)
    worst = max(
        (sum(1 for t in times if start - 1e-9 <= t <= start + width + 1e-9) - (2 + 5 * width), start, width)
        for start in times
        for width in (0, 0.2, 0.5, 1.0)
    )
    assert worst[0] <= 1e-6, (
        f"TokenBucket(rate=5, capacity=2) with three waves of acquirers let them through at {rounded(times)}: "
        f"{worst[0] + 2 + 5 * worst[2]:.0f} in the {worst[2]} s from {worst[1]:.3f}, more than capacity + rate x time"
    )
    expected = [0, 0] + [0.2 * k for k in range(1, 11)] + [3, 3, 3.2, 3.4]
    assert close(times, expected), (
        f"the 16 acquirers got through at {rounded(times)}, expected {rounded(expected)}: one every 0.2 s while "
        "they wait, and 2 at once at 3 s after the bucket refilled"
    )


@pytest.mark.task("concurrent")
def test_a_cancelled_acquire_takes_no_token(exercise):
    async def main():
        bucket = exercise.TokenBucket(rate=1, capacity=1)
        loop = asyncio.get_running_loop()
        await bucket.acquire()  # empty at 0
        impatient = asyncio.create_task(bucket.acquire())
        await asyncio.sleep(0.5)
        impatient.cancel()
        try:
            await impatient
        except asyncio.CancelledError:
            pass
        await bucket.acquire()
        return impatient.cancelled(), loop.time()

    cancelled, through = run(main)
    assert cancelled and abs(through - 1.0) < 1e-6, (
        "TokenBucket(rate=1, capacity=1), emptied at 0: an acquire cancelled at 0.5 s while waiting, then another "
        f"acquire got through at {through:.4f} s (the cancelled one {'was' if cancelled else 'was not'} cancelled); "
        "expected 1.0: a cancelled acquire takes no token and stays cancelled"
    )
