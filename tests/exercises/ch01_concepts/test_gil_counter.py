"""Graded tests for exercises/ch01_concepts/gil_counter.py (what the GIL does not protect).

CPython 3.11 switches threads only at calls and backward jumps, so a bare
`x = x + 1` almost never loses an update by itself. These tests make the race
certain instead of rare: a 1 us switch interval (provoke_races) and a pause
that releases the GIL between the read and the write (yield_point), or another
thread that increments in the middle of an increment.
"""

import threading

import pytest

from course.testing import provoke_races, yield_point

SNEAK_WAIT = 1.0  # how long a paused increment gives another thread to slip in


# ---- task 1: a counter that counts ------------------------------------------------


@pytest.mark.task(1)
def test_a_new_counter_is_zero_and_counts_up(exercise):
    counter = exercise.Counter()
    assert counter.value == 0, f"Counter().value is {counter.value!r}, expected 0"
    counter.increment()
    counter.increment()
    assert counter.value == 2, f"after two increment() calls value is {counter.value!r}, expected 2"
    counter.increment(5)
    assert counter.value == 7, f"after increment(), increment(), increment(5) value is {counter.value!r}, expected 7"


@pytest.mark.task(1)
def test_increment_calls_pause_once_per_increment(exercise):
    calls = []
    counter = exercise.Counter(pause=lambda: calls.append(1))
    for _ in range(3):
        counter.increment(2)
    assert len(calls) == 3, f"three increment(2) calls called pause {len(calls)} times, expected 3"
    assert counter.value == 6, f"after three increment(2) calls value is {counter.value!r}, expected 6"


# ---- task 2: no lost updates ---------------------------------------------------------


@pytest.mark.task(2)
def test_no_increment_is_lost_when_threads_race(exercise):
    threads, per_thread = 4, 1000
    counter = exercise.Counter(pause=yield_point)
    start = threading.Barrier(threads)

    def hammer():
        start.wait(timeout=5)
        for _ in range(per_thread):
            counter.increment()

    with provoke_races():
        workers = [threading.Thread(target=hammer) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=20)
    assert counter.value == threads * per_thread, (
        f"{threads} threads each called increment() {per_thread} times with a GIL-releasing pause between "
        f"read and write; value is {counter.value}, expected {threads * per_thread}: "
        f"{threads * per_thread - counter.value} updates were lost (the GIL does not make a read-modify-write atomic)"
    )


@pytest.mark.task(2)
def test_no_increment_slips_in_between_a_read_and_its_write(exercise):
    """While one increment is paused, another thread's increment must wait for it."""
    helper_done = threading.Event()
    slipped_in = []
    helper = None
    test_thread = threading.current_thread()

    def pause():
        nonlocal helper
        if threading.current_thread() is not test_thread or helper is not None:
            return
        helper = threading.Thread(target=lambda: (counter.increment(), helper_done.set()), name="sneaky-increment")
        helper.start()
        slipped_in.append(helper_done.wait(SNEAK_WAIT))

    counter = exercise.Counter(pause=pause)
    counter.increment()
    assert helper is not None, "increment() never called pause()"
    helper.join(timeout=5)
    assert not helper.is_alive(), "the other thread's increment never finished (was the lock released?)"
    assert counter.value == 2, (
        "one thread's increment() paused between its read and its write, and another thread called "
        f"increment() meanwhile; value is {counter.value}, expected 2: an update was lost"
    )
    assert slipped_in == [False], (
        "another thread's increment() ran to completion while this increment was paused between its read "
        "and its write: the read-modify-write is not one indivisible step"
    )


# ---- task 3: threads that run at the same time, and all finish ----------------------


class RendezvousCounter:
    """A stand-in counter: each thread's first increment waits until every thread has made one."""

    def __init__(self, threads):
        self.barrier = threading.Barrier(threads)
        self.met = True
        self.callers = set()
        self.lock = threading.Lock()
        self.count = 0

    def increment(self, amount=1):
        first = False
        with self.lock:
            me = threading.current_thread()
            if me not in self.callers:
                self.callers.add(me)
                first = True
        if first:
            try:
                self.barrier.wait(timeout=2.0)
            except threading.BrokenBarrierError:
                self.met = False
        with self.lock:
            self.count += amount

    @property
    def value(self):
        with self.lock:
            return self.count


@pytest.mark.task(3)
@pytest.mark.parametrize("threads, per_thread", [(2, 10), (4, 250), (3, 1)])
def test_count_concurrently_runs_every_thread_at_once_and_waits_for_all(exercise, threads, per_thread):
    counter = RendezvousCounter(threads)
    got = exercise.count_concurrently(counter, threads=threads, per_thread=per_thread)
    assert got == threads * per_thread, (
        f"count_concurrently(counter, threads={threads}, per_thread={per_thread}) returned {got}, "
        f"expected {threads * per_thread}: wait for every thread to finish before reading the value"
    )
    assert threading.current_thread() not in counter.callers, "the calling thread did the work itself; start new threads"
    assert len(counter.callers) == threads, f"{len(counter.callers)} threads called increment(), expected {threads}"
    assert counter.met, (
        f"the {threads} threads were never all running at once: each waited up to 2 s for the others. "
        "Start every thread before joining any"
    )


@pytest.mark.task(3)
def test_count_concurrently_with_no_work_returns_the_current_value(exercise):
    counter = RendezvousCounter(2)
    assert exercise.count_concurrently(counter, threads=2, per_thread=0) == 0


@pytest.mark.task(3)
@pytest.mark.parametrize("threads, per_thread", [(0, 5), (2, -1)])
def test_count_concurrently_rejects_impossible_counts(exercise, threads, per_thread):
    with pytest.raises(ValueError):
        exercise.count_concurrently(RendezvousCounter(1), threads=threads, per_thread=per_thread)
