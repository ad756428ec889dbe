"""Graded tests for exercises/ch02_threading/bounded_buffer.py.

The wakeup tests are scripted, not left to luck. The test waits until each
helper thread is really asleep inside `Condition.wait` (it reads the thread's
current frame), so the order in which threads queue on the Condition is known;
CPython's Condition wakes waiters first come, first served. Then it makes the
one move that tells a right buffer from a wrong one:

- two consumers asleep, then two puts from this thread: a lone `notify()` from
  the consumer that takes the first item wakes the other consumer instead of the
  sleeping producer, and the second put times out with room in the buffer;
- two consumers asleep, one put, `notify_all()`: a consumer that does not
  re-check its condition after waking (`if` instead of `while`) takes an item
  that is not there.

A timeout must be a deadline: the test wakes a waiting thread again and
again for nothing (notify_all on the buffer's own Condition, as other threads'
puts and gets would) and expects TimeoutError while the wake-ups still come.

Value-level behaviour in one thread is checked against a sequential model
(a deque and the capacity) with hypothesis, under a fixed profile.

Every put and get in these tests has a timeout, and helper threads are daemon
threads joined with a deadline, so a lost wakeup fails instead of hanging.
"""

from __future__ import annotations

import inspect
import sys
import threading
import time
from collections import Counter, deque

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course.testing import plain, provoke_races, wait_until
from course.testing.explore import explore
from course.testing.stacks import thread_stacks

WAKE_SECONDS = 2.0
DEADLINE_SECONDS = 0.3  # the timeout given to a call that is woken for nothing
NUDGE_SECONDS = 0.02  # how often it is woken
NUDGE_FOR_SECONDS = 1.5  # how long the wake-ups keep coming
MODEL = settings(
    derandomize=True,
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _blocking_lines(function) -> set[int]:
    """Line numbers in Condition.wait where a waiting thread sleeps."""
    lines, first = inspect.getsourcelines(function)
    found, released = set(), False
    for offset, line in enumerate(lines):
        if "_release_save()" in line:
            released = True
        elif released and "waiter.acquire(" in line:
            found.add(first + offset)
    return found


_WAIT_FILE = threading.Condition.wait.__code__.co_filename
_WAIT_LINES = _blocking_lines(threading.Condition.wait)


def asleep_in_wait(thread: threading.Thread) -> bool:
    """True when `thread` is parked in Condition.wait, its lock released (its stack read
    as text: a frame object of a running thread can crash the interpreter)."""
    frames = thread_stacks().get(thread.ident)
    return bool(frames) and frames[0][0] == _WAIT_FILE and frames[0][2] == "wait" and frames[0][1] in _WAIT_LINES


class Helper(threading.Thread):
    """A daemon thread that runs one call and keeps its result or exception."""

    def __init__(self, name, call):
        super().__init__(name=name, daemon=True)
        self.call = call
        self.result = None
        self.error: BaseException | None = None
        self.took = 0.0

    def run(self):
        start = time.monotonic()
        try:
            self.result = self.call()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.error = error
        finally:
            self.took = time.monotonic() - start


def start_asleep(name, call) -> Helper:
    """Start a helper and wait until it is asleep inside Condition.wait."""
    helper = Helper(name, call)
    helper.start()
    wait_until(
        lambda: asleep_in_wait(helper) or not helper.is_alive(),
        timeout=5,
        message=f"{name} was not asleep in threading.Condition.wait within 5 s",
    )
    assert helper.is_alive(), f"{name} did not block on an {'empty' if 'consumer' in name else 'full'} buffer: it returned {helper.result!r} / raised {helper.error!r}"
    return helper


def finish(*helpers: Helper, timeout: float = 5.0) -> None:
    for helper in helpers:
        helper.join(timeout)
    stuck = [h.name for h in helpers if h.is_alive()]
    assert not stuck, f"still blocked {timeout:.0f} s later: {', '.join(stuck)}"


def conditions_of(buffer) -> list[threading.Condition]:
    """The Conditions the buffer keeps in its attributes."""
    return [value for value in vars(buffer).values() if isinstance(value, threading.Condition)]


def woken_for_nothing(buffer, call, name):
    """Run `call` in a helper while its buffer's Conditions are notified again and again.

    Returns (helper, nudges): the helper, and whether the wake-ups were still
    coming when it finished (False: it outlasted them).
    """
    conditions = conditions_of(buffer)
    assert conditions, "found no threading.Condition among the buffer's attributes"
    helper = Helper(name, call)
    helper.start()
    wait_until(lambda: asleep_in_wait(helper) or not helper.is_alive(), timeout=5, message=f"{name} was not asleep in threading.Condition.wait within 5 s")
    deadline = time.monotonic() + NUDGE_FOR_SECONDS
    while helper.is_alive() and time.monotonic() < deadline:
        for condition in conditions:
            with condition:
                condition.notify_all()
        helper.join(NUDGE_SECONDS)
    still_coming = not helper.is_alive()
    finish(helper)
    return helper, still_coming


# ---- task 1: one thread ---------------------------------------------------------


@pytest.mark.task("fifo")
def test_items_come_out_in_the_order_they_went_in(exercise):
    buffer = exercise.BoundedBuffer(3)
    for item in ("a", "b", "c"):
        buffer.put(item, timeout=1)
    assert len(buffer) == 3, f"after 3 puts len(buffer) is {len(buffer)}, expected 3"
    got = [buffer.get(timeout=1) for _ in range(3)]
    assert plain(got) == ["a", "b", "c"], f"put a, b, c then get x3 returned {got}, expected ['a', 'b', 'c']"
    assert len(buffer) == 0, f"after taking everything len(buffer) is {len(buffer)}, expected 0"


@pytest.mark.task("fifo")
def test_a_capacity_below_one_is_rejected(exercise):
    for capacity in (0, -1):
        with pytest.raises(ValueError):
            exercise.BoundedBuffer(capacity)


@pytest.mark.task("fifo")
def test_false_items_are_items_too(exercise):
    buffer = exercise.BoundedBuffer(4)
    for item in (None, 0, "", False):
        buffer.put(item, timeout=1)
    got = [buffer.get(timeout=1) for _ in range(4)]
    assert plain(got) == [None, 0, "", False] and [type(x) for x in got] == [type(None), int, str, bool], (
        f"put None, 0, '', False then get x4 returned {got!r}, expected [None, 0, '', False]"
    )


@pytest.mark.task("fifo")
@MODEL
@given(
    capacity=st.integers(1, 4),
    operations=st.lists(st.one_of(st.just(("get",)), st.tuples(st.just("put"), st.integers(0, 9))), max_size=14),
)
def test_one_thread_matches_the_model_buffer(exercise, capacity, operations):
    """Any sequence of puts and gets does what a deque with a capacity does (full: put times out; empty: get times out)."""
    buffer = exercise.BoundedBuffer(capacity)
    model: deque[int] = deque()
    history = f"BoundedBuffer({capacity})"
    for operation in operations:
        if operation[0] == "put":
            history += f".put({operation[1]}, timeout=0.001)"
            expected = ("timed out", None) if len(model) == capacity else ("returned", None)
            if expected[0] == "returned":
                model.append(operation[1])
            call = lambda: buffer.put(operation[1], timeout=0.001)  # noqa: E731
        else:
            history += ".get(timeout=0.001)"
            expected = ("returned", model.popleft()) if model else ("timed out", None)
            call = lambda: buffer.get(timeout=0.001)  # noqa: E731
        try:
            got = ("returned", call())
        except TimeoutError:
            got = ("timed out", None)
        assert plain(got) == expected, f"{history}: {got[0]} {got[1]!r}, expected {expected[0]} {expected[1]!r}"
        assert len(buffer) == len(model), f"after {history} len(buffer) is {len(buffer)}, expected {len(model)}"


# ---- task 2: blocking and timeouts ---------------------------------------------------


@pytest.mark.task("blocking_with_timeouts")
def test_put_on_a_full_buffer_times_out(exercise):
    buffer = exercise.BoundedBuffer(1)
    buffer.put("a", timeout=1)
    with pytest.raises(TimeoutError):
        buffer.put("b", timeout=0.05)
    assert len(buffer) == 1, f"a put that timed out changed len(buffer) to {len(buffer)}, expected 1"
    assert plain(buffer.get(timeout=1)) == "a"


@pytest.mark.task("blocking_with_timeouts")
def test_get_on_an_empty_buffer_times_out(exercise):
    buffer = exercise.BoundedBuffer(1)
    with pytest.raises(TimeoutError):
        buffer.get(timeout=0.05)


@pytest.mark.task("blocking_with_timeouts")
def test_a_zero_timeout_does_not_wait(exercise):
    buffer = exercise.BoundedBuffer(1)
    calls = [
        ("get(timeout=0) on an empty buffer", lambda: buffer.get(timeout=0), "timed out"),
        ("put('a', timeout=0) on an empty buffer", lambda: buffer.put("a", timeout=0), "returned"),
        ("put('b', timeout=0) on a full buffer", lambda: buffer.put("b", timeout=0), "timed out"),
        ("get(timeout=0) on a full buffer", lambda: buffer.get(timeout=0), "returned"),
    ]
    for what, call, expected in calls:
        helper = Helper(what, call)
        helper.start()
        helper.join(WAKE_SECONDS)
        assert not helper.is_alive(), f"BoundedBuffer(1): {what} had not returned {WAKE_SECONDS:.0f} s later, expected it to {'raise TimeoutError' if expected == 'timed out' else 'return'} at once"
        got = "timed out" if isinstance(helper.error, TimeoutError) else "returned" if helper.error is None else f"raised {helper.error!r}"
        assert got == expected, f"BoundedBuffer(1): {what} {got}, expected it to {'raise TimeoutError' if expected == 'timed out' else 'return'}"
    assert plain(helper.result) == "a", f"the last get(timeout=0) returned {helper.result!r}, expected 'a'"


@pytest.mark.task("blocking_with_timeouts")
def test_a_get_woken_for_nothing_still_times_out_on_time(exercise):
    buffer = exercise.BoundedBuffer(1)
    helper, in_time = woken_for_nothing(buffer, lambda: buffer.get(timeout=DEADLINE_SECONDS), "consumer")
    assert isinstance(helper.error, TimeoutError) and in_time, (
        f"get(timeout={DEADLINE_SECONDS}) on an empty buffer, whose Condition was notified every "
        f"{NUDGE_SECONDS} s: it {'raised ' + repr(helper.error) if helper.error else 'returned ' + repr(helper.result)} "
        f"{'while the notifications were still coming' if in_time else f'only after {NUDGE_FOR_SECONDS:.0f} s of notifications had stopped'}; "
        f"expected TimeoutError about {DEADLINE_SECONDS} s after the call"
    )
    assert helper.took >= DEADLINE_SECONDS * 0.95, (
        f"get(timeout={DEADLINE_SECONDS}) on an empty buffer, whose Condition was notified every {NUDGE_SECONDS} s, "
        f"raised TimeoutError {helper.took:.3f} s after the call, expected not before {DEADLINE_SECONDS} s"
    )


@pytest.mark.task("blocking_with_timeouts")
def test_a_put_woken_for_nothing_still_times_out_on_time(exercise):
    buffer = exercise.BoundedBuffer(1)
    buffer.put("full", timeout=1)
    helper, in_time = woken_for_nothing(buffer, lambda: buffer.put("more", timeout=DEADLINE_SECONDS), "producer")
    assert isinstance(helper.error, TimeoutError) and in_time, (
        f"put(item, timeout={DEADLINE_SECONDS}) on a full buffer, whose Condition was notified every "
        f"{NUDGE_SECONDS} s: it {'raised ' + repr(helper.error) if helper.error else 'returned'} "
        f"{'while the notifications were still coming' if in_time else f'only after {NUDGE_FOR_SECONDS:.0f} s of notifications had stopped'}; "
        f"expected TimeoutError about {DEADLINE_SECONDS} s after the call"
    )
    assert helper.took >= DEADLINE_SECONDS * 0.95, (
        f"put(item, timeout={DEADLINE_SECONDS}) on a full buffer, whose Condition was notified every {NUDGE_SECONDS} s, "
        f"raised TimeoutError {helper.took:.3f} s after the call, expected not before {DEADLINE_SECONDS} s"
    )
    assert len(buffer) == 1, f"the put that timed out changed len(buffer) to {len(buffer)}, expected 1"


@pytest.mark.task("blocking_with_timeouts")
def test_a_waiting_consumer_wakes_when_an_item_arrives(exercise):
    buffer = exercise.BoundedBuffer(2)
    consumer = start_asleep("consumer", lambda: buffer.get())  # no timeout: must be woken
    buffer.put("parcel", timeout=1)
    finish(consumer)
    assert consumer.error is None, f"the waiting get() raised {consumer.error!r}"
    assert plain(consumer.result) == "parcel", f"the waiting get() returned {consumer.result!r}, expected 'parcel'"


@pytest.mark.task("blocking_with_timeouts")
def test_a_waiting_producer_wakes_when_room_appears(exercise):
    buffer = exercise.BoundedBuffer(1)
    buffer.put("first", timeout=1)
    producer = start_asleep("producer", lambda: buffer.put("second"))  # no timeout: must be woken
    assert len(buffer) == 1, f"BoundedBuffer(1) holding 1 item, with a put() waiting: len(buffer) is {len(buffer)}, expected 1"
    assert plain(buffer.get(timeout=1)) == "first"
    finish(producer)
    assert producer.error is None, f"the waiting put() raised {producer.error!r}"
    assert plain(buffer.get(timeout=1)) == "second", "the item of the woken producer is not in the buffer"


# ---- task 3: no lost wakeups -----------------------------------------------------------


@pytest.mark.task("no_lost_wakeup")
def test_a_producer_and_consumers_waiting_together_are_all_woken(exercise):
    # Consumers 1 and 2 sleep on the empty buffer (capacity 1). This thread puts
    # "x" (waking consumer 1) and at once puts "y": the buffer is still full, so
    # this thread sleeps behind consumer 2. Consumer 1 takes "x" and must wake
    # this thread; a single notify() wakes consumer 2 instead, which finds the
    # buffer empty and sleeps again, and the put of "y" never completes.
    previous = sys.getswitchinterval()
    for round_ in range(3):
        buffer = exercise.BoundedBuffer(1)
        first = start_asleep("consumer-1", lambda: buffer.get(timeout=WAKE_SECONDS))
        second = start_asleep("consumer-2", lambda: buffer.get(timeout=WAKE_SECONDS))
        sys.setswitchinterval(0.1)  # keep the GIL: both puts run before consumer 1 wakes
        try:
            buffer.put("x", timeout=WAKE_SECONDS)
            try:
                buffer.put("y", timeout=WAKE_SECONDS)
            except TimeoutError:
                pytest.fail(
                    f"round {round_ + 1}: two consumers were waiting, this thread put 'x' and then waited to put "
                    f"'y' on the full buffer; put('y') timed out after {WAKE_SECONDS} s with the buffer holding "
                    f"{len(buffer)} item(s), expected it to go in as soon as a consumer took 'x'",
                    pytrace=False,
                )
        finally:
            sys.setswitchinterval(previous)
        finish(first, second)
        errors = [h.error for h in (first, second) if h.error]
        assert not errors, f"round {round_ + 1}: a consumer raised {errors[0]!r}"
        got = sorted(plain([first.result, second.result]))
        assert got == ["x", "y"], f"round {round_ + 1}: the two consumers got {got}, expected ['x', 'y']"


@pytest.mark.task("no_lost_wakeup")
def test_many_producers_and_consumers_deliver_every_item_once(exercise):
    buffer = exercise.BoundedBuffer(2)
    producers, consumers, per_producer = 3, 3, 150
    consumed: list[list[tuple[int, int]]] = [[] for _ in range(consumers)]

    def produce(p):
        return lambda: [buffer.put((p, n), timeout=WAKE_SECONDS) for n in range(per_producer)]

    def consume(c):
        return lambda: [consumed[c].append(buffer.get(timeout=WAKE_SECONDS)) for _ in range(per_producer)]

    helpers = [Helper(f"producer-{p}", produce(p)) for p in range(producers)]
    helpers += [Helper(f"consumer-{c}", consume(c)) for c in range(consumers)]
    with provoke_races():
        for helper in helpers:
            helper.start()
        finish(*helpers, timeout=15)
    errors = [(h.name, h.error) for h in helpers if h.error]
    assert not errors, (
        f"{producers} producers and {consumers} consumers on a buffer of 2: {errors[0][0]} raised {errors[0][1]!r} "
        f"({len(errors)} thread(s) failed)"
    )
    everything = Counter(item for items in plain(consumed) for item in items)
    expected = Counter((p, n) for p in range(producers) for n in range(per_producer))
    assert everything == expected, (
        f"items lost: {sorted(expected - everything)[:5]}, items delivered twice or invented: "
        f"{sorted(everything - expected)[:5]}"
    )
    for c, items in enumerate(consumed):
        for p in range(producers):
            mine = [n for q, n in items if q == p]
            assert mine == sorted(mine), f"consumer {c} got producer {p}'s items out of order: {mine[:10]}..."


# ---- task 4: re-check after waking ---------------------------------------------------------


@pytest.mark.task("recheck_after_wakeup")
def test_a_woken_consumer_rechecks_before_taking(exercise):
    # Two consumers sleep on an empty buffer; one put wakes them (notify_all).
    # Only one item is there: the other consumer must go back to sleep.
    buffer = exercise.BoundedBuffer(1)
    first = start_asleep("consumer-1", lambda: buffer.get(timeout=WAKE_SECONDS * 2))
    second = start_asleep("consumer-2", lambda: buffer.get(timeout=WAKE_SECONDS * 2))
    buffer.put("only", timeout=WAKE_SECONDS)
    wait_until(
        lambda: sum(not h.is_alive() for h in (first, second)) >= 1
        and all(not h.is_alive() or asleep_in_wait(h) for h in (first, second)),
        timeout=5,
        message="after one put, neither consumer finished",
    )
    broken = [h for h in (first, second) if not h.is_alive() and (h.error or plain(h.result) != "only")]
    assert not broken, (
        f"one item was put for two waiting consumers and {broken[0].name} "
        f"{'raised ' + repr(broken[0].error) if broken[0].error else 'returned ' + repr(broken[0].result)}: "
        "expected it to return 'only' or to keep waiting"
    )
    buffer.put("second", timeout=WAKE_SECONDS)
    finish(first, second)
    got = sorted(str(plain(h.result)) for h in (first, second))
    assert got == ["only", "second"], f"the consumers got {got}, expected ['only', 'second']"


@pytest.mark.task("recheck_after_wakeup")
def test_a_woken_producer_rechecks_before_adding(exercise):
    buffer = exercise.BoundedBuffer(1)
    buffer.put("old", timeout=1)
    first = start_asleep("producer-1", lambda: buffer.put("new-1", timeout=WAKE_SECONDS * 2))
    second = start_asleep("producer-2", lambda: buffer.put("new-2", timeout=WAKE_SECONDS * 2))
    assert plain(buffer.get(timeout=1)) == "old"
    wait_until(
        lambda: sum(not h.is_alive() for h in (first, second)) >= 1
        and all(not h.is_alive() or asleep_in_wait(h) for h in (first, second)),
        timeout=5,
        message="after one get, neither waiting producer finished",
    )
    assert len(buffer) <= 1, (
        f"two producers waited on a full buffer of capacity 1 and one get freed one slot: len(buffer) is "
        f"{len(buffer)}, expected at most 1"
    )
    got = plain([buffer.get(timeout=WAKE_SECONDS), buffer.get(timeout=WAKE_SECONDS)])
    finish(first, second)
    assert sorted(got) == ["new-1", "new-2"], f"got {got} after the producers finished, expected new-1 and new-2"


# ---- task 5: every schedule of small scenarios ---------------------------------------
# course.testing.explore runs three threads under every order of their steps on the
# buffer's Condition (taking and giving back its lock, waiting, notifying) with at most
# PREEMPTIONS switches away from a thread that could go on (switches when a thread waits
# or ends are free), and checks the outcome after each. A failure lists the schedule.


def explore_buffer(exercise, title, workers, invariant, preemptions, **state):
    def setup():
        return {"buffer": exercise.BoundedBuffer(1), "got": [], **state}

    result = explore(setup, workers, invariant, modules=[exercise], title=title, preemption_bound=preemptions)
    assert result.schedules >= 2, f"{title}: only {result.schedules} schedule explored"


@pytest.mark.task("every_schedule")
def test_every_schedule_of_two_consumers_and_a_producer_delivers_both_items(exercise):
    def get(state):
        state["got"].append(state["buffer"].get())

    def put_two(state):
        state["buffer"].put("a")
        state["buffer"].put("b")

    def invariant(state):
        assert sorted(plain(state["got"])) == ["a", "b"], f"the consumers got {state['got']}, expected a and b once each"
        assert len(state["buffer"]) == 0, f"{len(state['buffer'])} item(s) left in the buffer, expected none"

    explore_buffer(exercise, "two get() and put('a'), put('b') on a buffer of capacity 1",
                   [("get", get), ("get", get), ("put a, then b", put_two)], invariant, preemptions=2)


@pytest.mark.task("every_schedule")
def test_every_schedule_of_two_producers_and_a_consumer_keeps_the_capacity(exercise):
    def put(*items):
        def work(state):
            for item in items:
                state["buffer"].put(item)
                state["most"] = max(state["most"], len(state["buffer"]))
        return work

    def get_three(state):
        for _ in range(3):
            state["got"].append(state["buffer"].get())

    def invariant(state):
        assert state["most"] <= 1, f"a producer saw {state['most']} items in a buffer of capacity 1"
        assert sorted(plain(state["got"])) == ["x", "y", "z"], f"the consumer got {state['got']}, expected x, y and z once each"

    explore_buffer(exercise, "put('x'), put('z') and put('y') and three get() on a buffer of capacity 1",
                   [("put x, then z", put("x", "z")), ("put y", put("y")), ("get three times", get_three)],
                   invariant, preemptions=1, most=0)
