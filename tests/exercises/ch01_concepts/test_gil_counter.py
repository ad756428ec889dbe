"""Graded tests for exercises/ch01_concepts/gil_counter.py (what the GIL does not protect).

CPython 3.11 switches threads only at calls and backward jumps, so a bare
`x = x + 1` almost never loses an update by itself. These tests make the race
certain instead of rare: a 1 us switch interval (provoke_races) and a pause
that releases the GIL between the read and the write (yield_point), or another
thread that increments in the middle of an increment.
"""

import concurrent.futures
import concurrent.futures.thread
import sys
import threading
import time

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from course.testing import plain, provoke_races, yield_point

# Reproducible and quick: the same examples in every run, no example database, no shrinking.
EXAMPLES = settings(derandomize=True, max_examples=25, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

SNEAK_WAIT = 1.0  # how long a paused increment gives another thread to slip in


# ---- task 1: a counter that counts ------------------------------------------------


@pytest.mark.task("counts")
def test_a_new_counter_is_zero_and_counts_up(exercise):
    counter = exercise.Counter()
    assert plain(counter.value) == 0, f"Counter().value is {counter.value!r}, expected 0"
    counter.increment()
    counter.increment()
    assert plain(counter.value) == 2, f"after two increment() calls value is {counter.value!r}, expected 2"
    counter.increment(5)
    assert plain(counter.value) == 7, f"after increment(), increment(), increment(5) value is {counter.value!r}, expected 7"


@pytest.mark.task("counts")
def test_increment_calls_pause_once_per_increment(exercise):
    calls = []
    counter = exercise.Counter(pause=lambda: calls.append(1))
    for _ in range(3):
        counter.increment(2)
    assert len(calls) == 3, f"three increment(2) calls called pause {len(calls)} times, expected 3"
    assert plain(counter.value) == 6, f"after three increment(2) calls value is {counter.value!r}, expected 6"


@pytest.mark.task("counts")
@EXAMPLES
@given(amounts=st.lists(st.integers(-10**6, 10**6), max_size=15))
def test_a_counter_adds_up_any_amounts(exercise, amounts):
    calls = []
    counter = exercise.Counter(pause=lambda: calls.append(1))
    for amount in amounts:
        counter.increment(amount)
    assert plain(counter.value) == sum(amounts), (
        f"increment(a) for a in {amounts}: value is {counter.value!r}, expected their sum {sum(amounts)}"
    )
    assert len(calls) == len(amounts), f"{len(amounts)} increment() calls called pause {len(calls)} times"


@pytest.mark.task("counts")
def test_counters_count_separately(exercise):
    first, second = exercise.Counter(), exercise.Counter()
    for _ in range(3):
        first.increment()
    second.increment(10)
    assert plain((first.value, second.value)) == (3, 10), (
        f"three increment() on one counter and increment(10) on another: values are {first.value!r} and "
        f"{second.value!r}, expected 3 and 10"
    )


READ_WAIT = 0.5  # how long pause() waits for another thread's read of `value`


@pytest.mark.task("counts")
def test_pause_runs_between_the_read_and_the_write(exercise):
    """While pause() runs, the new value is not written yet; afterwards it is."""
    seen = []

    def pause():
        # Read from another thread: a `value` that waits for the counter's lock
        # blocks until increment() is done, which tells nothing either way.
        reader = threading.Thread(target=lambda: seen.append(counter.value), name="reader", daemon=True)
        reader.start()
        reader.join(timeout=READ_WAIT)

    counter = exercise.Counter(pause=pause)
    counter.increment(4)
    counter.increment(3)
    assert plain(counter.value) == 7, f"after increment(4), increment(3) value is {counter.value!r}, expected 7"
    during = seen[:2]
    assert not during or during[0] == 0, (
        f"during increment(4) on a new counter, pause() read value {during[0]!r}, expected 0 (not yet written)"
    )
    assert len(during) < 2 or during[1] == 4, (
        f"during increment(3) on a counter at 4, pause() read value {during[1]!r}, expected 4 (not yet written)"
    )


def counter_after_a_failed_pause(exercise):
    """A new Counter after increment(5) whose pause() raised RuntimeError (later pauses do nothing)."""
    calls = []

    def pause():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the slow work failed")

    counter = exercise.Counter(pause=pause)
    try:
        counter.increment(5)
    except RuntimeError:
        return counter
    pytest.fail("increment(5) returned although pause() raised RuntimeError; expected the RuntimeError", pytrace=False)


@pytest.mark.task("counts")
def test_a_pause_that_raises_leaves_the_count_as_it_was(exercise):
    counter = counter_after_a_failed_pause(exercise)
    value = counter.value
    assert plain(value) == 0, f"a new counter's increment(5) whose pause() raised left value at {value!r}, expected 0"


# ---- task 2: no lost updates ---------------------------------------------------------


@pytest.mark.task("no_lost_update")
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
    assert plain(counter.value) == threads * per_thread, (
        f"{threads} threads each called increment() {per_thread} times with a GIL-releasing pause between "
        f"read and write; value is {counter.value}, expected {threads * per_thread}: "
        f"{threads * per_thread - counter.value} updates were lost"
    )


@pytest.mark.task("no_lost_update")
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
    assert not helper.is_alive(), "the other thread's increment() had not returned 5 s after this increment() returned"
    assert plain(counter.value) == 2, (
        "one thread's increment() paused between its read and its write, and another thread called "
        f"increment() meanwhile; value is {counter.value}, expected 2: an update was lost"
    )
    assert slipped_in == [False], (
        "another thread's increment() ran to completion while this increment() was inside pause(), "
        "between its read and its write"
    )


@pytest.mark.task("no_lost_update")
def test_a_counter_whose_pause_raised_still_works_for_other_threads(exercise):
    counter = counter_after_a_failed_pause(exercise)
    before = counter.value
    later = threading.Thread(target=counter.increment, args=(2,), name="later-increment", daemon=True)
    later.start()
    later.join(timeout=2.0)
    assert not later.is_alive(), (
        "after an increment(5) whose pause() raised, another thread's increment(2) had not returned within 2 s"
    )
    value = counter.value
    assert plain(value) == plain(before) + 2, (
        f"after that, another thread's increment(2) took value from {before!r} to {value!r}, expected {before + 2!r}"
    )


# ---- task 3: threads that run at the same time, and all finish ----------------------
#
# The stand-in counter below proves both halves of the task by observation:
#
# - at once: each thread's first increment waits at a Barrier until every
#   thread has made one (threads started and joined one by one never meet);
# - waits for all: each thread's last increment does not finish until it has
#   seen the caller of count_concurrently blocked waiting for *that* thread
#   (in Thread.join, or in a Future of the thread pool running it) with no
#   timeout, in one and the same bounded wait for longer than a short timeout
#   could last, or in a second wait for it after a first one timed out (a loop
#   that joins with a timeout until the thread is done). A caller that sleeps,
#   joins once with a small timeout or never joins returns while a thread is
#   still held there, and the test checks that every thread has ended at the
#   moment count_concurrently returns.

# Bound before any code under test is imported: replacing these cannot blind the probe.
_current_frames = sys._current_frames
_monotonic = time.monotonic

START_COUNT = 100  # the stand-in counter does not start at 0: count_concurrently returns its value
RENDEZVOUS_SECONDS = 2.0  # a thread's first increment waits this long for the others
WAITED_FOR_SECONDS = 3.0  # a thread's last increment waits this long to see the caller wait for it
BOUNDED_WAIT_SECONDS = 0.2  # a wait with a timeout counts once it has lasted this long
POLL_SECONDS = 0.001

_JOIN = threading.Thread.join.__code__
_FUTURE_RESULT = concurrent.futures.Future.result.__code__
_FUTURES_WAIT = {concurrent.futures.wait.__code__, concurrent.futures.as_completed.__code__}
_WORK_ITEM_RUN = concurrent.futures.thread._WorkItem.run.__code__


def future_run_by(thread):
    """The Future `thread` is running, when it is a worker of a ThreadPoolExecutor."""
    frame = _current_frames().get(thread.ident)
    while frame is not None:
        if frame.f_code is _WORK_ITEM_RUN:
            return getattr(frame.f_locals.get("self"), "future", None)
        frame = frame.f_back
    return None


def waiting_for(caller_ident, thread, future):
    """(frame, timeout) of the caller's wait for `thread` (or its `future`), or None."""
    frame = _current_frames().get(caller_ident)
    while frame is not None:
        code = frame.f_code
        if code is _JOIN or code is _FUTURE_RESULT or code in _FUTURES_WAIT:
            local = frame.f_locals
            if code is _JOIN:
                mine = local.get("self") is thread
            elif code is _FUTURE_RESULT:
                mine = future is not None and local.get("self") is future
            else:
                mine = future is not None and any(f is future for f in list(local.get("fs") or ()))
            if mine:
                return frame, local.get("timeout")
        frame = frame.f_back
    return None


class RendezvousCounter:
    """A stand-in counter that holds each thread at its first and at its last increment.

    First increment: wait until every thread has made one (`met`). Last
    increment (when the thread's amounts add up to `per_thread`): wait until the
    caller (the thread that made this counter) waits for this thread; threads
    that never saw that are named in `unwaited`.
    """

    def __init__(self, threads, per_thread=0, start=0):
        self.barrier = threading.Barrier(threads)
        self.per_thread = per_thread
        self.caller = threading.get_ident()
        self.met = True
        self.callers = {}  # thread -> amount it has added
        self.unwaited = []
        self.release = threading.Event()  # set by the test: stop holding anyone
        self.lock = threading.Lock()
        self.count = start

    def increment(self, amount=1):
        me = threading.current_thread()
        with self.lock:
            first = me not in self.callers
            done_before = self.callers.get(me, 0)
            self.callers[me] = done_before + amount
            last = done_before < self.per_thread <= done_before + amount
        if first:
            try:
                self.barrier.wait(timeout=RENDEZVOUS_SECONDS)
            except threading.BrokenBarrierError:
                self.met = False
        if last and not self._waited_for(me):
            with self.lock:
                self.unwaited.append(me.name)
        with self.lock:
            self.count += amount

    def _waited_for(self, me):
        """Whether the caller waited for `me`, as seen by a watcher thread of the test's own.

        The code under test is on this thread's stack, and the grader refuses
        frame inspection to any such thread; the watcher's stack holds only test code.
        """
        seen = []
        watcher = threading.Thread(target=lambda: seen.append(self._watch(me)), name=f"watching-{me.name}")
        watcher.start()
        watcher.join()
        return seen == [True]

    def _watch(self, me):
        future = future_run_by(me)
        deadline = _monotonic() + WAITED_FOR_SECONDS
        bounded = None  # (frame, first seen) of a wait with a timeout
        while not self.release.is_set():
            found = waiting_for(self.caller, me, future)
            if found is not None:
                frame, timeout = found
                if timeout is None:
                    return True
                if bounded is None:
                    bounded = (frame, _monotonic())
                elif bounded[0] is not frame:
                    return True  # a new wait for it after a timeout ran out: a loop that joins until done
                elif _monotonic() - bounded[1] >= BOUNDED_WAIT_SECONDS:
                    return True
            if _monotonic() >= deadline:
                return False
            self.release.wait(POLL_SECONDS)
        return True

    @property
    def value(self):
        with self.lock:
            return self.count

    def threads(self):
        with self.lock:
            return list(self.callers)


def count_and_look(exercise, counter, threads, per_thread):
    """Call count_concurrently; return its result and the names of its threads still running then."""
    try:
        got = exercise.count_concurrently(counter, threads=threads, per_thread=per_thread)
        running = [thread.name for thread in counter.threads() if thread.is_alive()]
    finally:
        counter.release.set()
        for thread in counter.threads():
            thread.join(timeout=5)
    return got, running


@pytest.mark.task("start_then_join")
@pytest.mark.parametrize("threads, per_thread", [(2, 10), (4, 250), (3, 1)])
def test_count_concurrently_runs_every_thread_at_once_and_waits_for_all(exercise, threads, per_thread):
    counter = RendezvousCounter(threads, per_thread, start=START_COUNT)
    got, running = count_and_look(exercise, counter, threads, per_thread)
    call = f"count_concurrently(counter, threads={threads}, per_thread={per_thread})"
    expected = START_COUNT + threads * per_thread
    assert not running, (
        f"{call} returned while {len(running)} of the threads it started were still running ({', '.join(running)}), "
        "each held in its last increment until the caller waited for it"
    )
    assert not counter.unwaited, (
        f"{call}: the last increment of {', '.join(counter.unwaited)} waited {WAITED_FOR_SECONDS:.0f} s to see the "
        "caller wait for that thread (Thread.join with no timeout, or long enough), and it never did"
    )
    assert plain(got) == expected, (
        f"{call} on a counter at {START_COUNT} returned {got!r}, expected {START_COUNT} + {threads} * {per_thread} = {expected}"
    )
    callers = counter.threads()
    assert threading.current_thread() not in callers, f"{call}: increment() was called from the calling thread itself"
    assert len(callers) == threads, f"{call}: {len(callers)} threads called increment(), expected {threads}"
    assert counter.met, (
        f"{call}: the first increment of each thread waited up to {RENDEZVOUS_SECONDS:.0f} s for all {threads} "
        "threads to have made one, and they never all had"
    )


class LockedCounter:
    """A plain thread-safe counter: for the cases that need no rendezvous."""

    def __init__(self, start=0):
        self.count = start
        self.lock = threading.Lock()

    def increment(self, amount=1):
        with self.lock:
            self.count += amount

    @property
    def value(self):
        with self.lock:
            return self.count


@pytest.mark.task("start_then_join")
def test_count_concurrently_with_one_thread(exercise):
    counter = LockedCounter(start=3)
    got = exercise.count_concurrently(counter, threads=1, per_thread=5)
    assert plain(got) == 8, f"count_concurrently(counter, threads=1, per_thread=5) on a counter at 3 returned {got!r}, expected 8"


@pytest.mark.task("start_then_join")
def test_count_concurrently_with_no_work_returns_the_current_value(exercise):
    counter = RendezvousCounter(2, start=7)
    got, _ = count_and_look(exercise, counter, 2, 0)
    assert plain(got) == 7, f"count_concurrently(counter, threads=2, per_thread=0) on a counter at 7 returned {got!r}, expected 7"


@pytest.mark.task("start_then_join")
@pytest.mark.parametrize("threads, per_thread", [(0, 5), (-1, 5), (2, -1), (0, -1)])
def test_count_concurrently_rejects_impossible_counts(exercise, threads, per_thread):
    counter = RendezvousCounter(1)
    call = f"count_concurrently(counter, threads={threads}, per_thread={per_thread})"
    try:
        got = exercise.count_concurrently(counter, threads=threads, per_thread=per_thread)
    except ValueError:
        pass
    except Exception as error:
        pytest.fail(f"{call} raised {type(error).__name__}: {error}; expected ValueError", pytrace=False)
    else:
        pytest.fail(f"{call} returned {got!r}; expected ValueError", pytrace=False)
    assert counter.threads() == [], f"{call} raised ValueError after increment() had been called"
