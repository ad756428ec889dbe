"""Graded tests for exercises/ch02_threading/rw_lock.py.

Every holder of the lock in these tests enters a course.testing.Overlap region
and waits there for the test to open a gate (an Event). While the gate is shut
the test can see exactly who is inside together:

- sharing: several readers inside at once (observed, not timed);
- exclusion: with a writer inside, nobody else gets in for a while; a broken
  lock lets them in within microseconds, so a short quiet period is a reliable
  witness, and a right lock only costs that quiet period;
- no starvation: with a reader inside and a writer waiting, a new reader must
  not get in before the writer, and writers waiting when a writer leaves go
  before the waiting readers;
- ownership: a release by a thread that holds nothing is refused with
  RuntimeError while other threads hold the lock, and changes nothing (the
  holders still exclude whom they excluded).

Threads are daemon threads joined with a deadline, so a lock that never lets
anyone in fails the test instead of hanging it.
"""

from __future__ import annotations

import threading
import time

import pytest

from course.testing import Overlap, provoke_races, wait_until, yield_point
from course.testing.explore import Barrier, Event, explore, pause
from course.testing.stacks import thread_stacks

HOLD_SECONDS = 5.0  # a holder waits at most this long for its gate
REACH_SECONDS = 2.0  # how long the expected holders have to get in
QUIET_SECONDS = 0.4  # how long an intruder has to show up, if the lock leaks


class Room:
    """The region guarded by the lock: records who is inside, holds them at a gate."""

    def __init__(self) -> None:
        self.probe = Overlap()
        self.log: list[str] = []
        self.gates: dict[str, threading.Event] = {}

    def gate(self, name: str) -> threading.Event:
        return self.gates.setdefault(name, threading.Event())

    def visit(self, name: str) -> None:
        with self.probe.region():
            self.log.append(name)
            self.gate(name).wait(HOLD_SECONDS)

    def open(self, *names: str) -> None:
        for name in names:
            self.gate(name).set()

    def open_all(self) -> None:
        for gate in list(self.gates.values()):
            gate.set()

    def inside(self, count: int, timeout: float) -> bool:
        return self.probe.wait_for_inside(count, timeout)


class Helper(threading.Thread):
    def __init__(self, name, call):
        super().__init__(name=name, daemon=True)
        self.call, self.error = call, None

    def run(self):
        try:
            self.call()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.error = error


def reader(lock, room, name):
    room.gate(name)

    def run():
        with lock.reading():
            room.visit(name)

    return Helper(name, run)


def writer(lock, room, name):
    room.gate(name)

    def run():
        with lock.writing():
            room.visit(name)

    return Helper(name, run)


def join_all(helpers, timeout):
    """Join the helpers against one deadline; return the names of those still alive."""
    deadline = time.monotonic() + timeout
    for helper in helpers:
        helper.join(max(0.0, deadline - time.monotonic()))
    return [h.name for h in helpers if h.is_alive()]


def finish(room, *helpers):
    room.open_all()
    stuck = join_all(helpers, HOLD_SECONDS)
    assert not stuck, f"still blocked {HOLD_SECONDS:.0f} s after every holder was let go: {', '.join(stuck)}"
    errors = [(h.name, h.error) for h in helpers if h.error]
    assert not errors, f"{errors[0][0]} raised {errors[0][1]!r}"


_THREADING_FILE = threading.__file__


def waiting_in_threading(thread) -> bool:
    """True when the thread's innermost frame is inside the threading module (waiting)."""
    frames = thread_stacks().get(thread.ident)  # as text: see course.testing.stacks
    return bool(frames) and frames[0][0] == _THREADING_FILE


def settle(*threads) -> None:
    """Wait until the threads wait inside threading's primitives (a lock built otherwise gets a second)."""
    try:
        wait_until(lambda: all(waiting_in_threading(thread) for thread in threads), timeout=1.0)
    except AssertionError:
        pass


# ---- task 1: one thread ---------------------------------------------------------------


@pytest.mark.task("single_thread")
def test_one_thread_can_read_then_write_then_read(exercise):
    lock = exercise.RWLock()
    errors = []

    def run():
        try:
            with lock.reading():
                pass
            with lock.writing():
                pass
            lock.acquire_read()
            lock.acquire_read()
            lock.release_read()
            lock.release_read()
            lock.acquire_write()
            lock.release_write()
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    helper = Helper("one-thread", run)
    helper.start()
    helper.join(REACH_SECONDS)
    assert not helper.is_alive(), (
        "in one thread: with reading(), with writing(), acquire_read() x2, release_read() x2, acquire_write(), "
        f"release_write(): still blocked {REACH_SECONDS:.0f} s later"
    )
    assert not errors, f"one thread reading then writing raised {errors[0]!r}"


@pytest.mark.task("single_thread")
def test_the_context_managers_release_when_the_body_raises(exercise):
    lock = exercise.RWLock()
    for manager in (lock.writing, lock.reading):
        with pytest.raises(KeyError):
            with manager():
                raise KeyError("boom")
    helper = Helper("writer-after-errors", lambda: lock.acquire_write() or lock.release_write())
    helper.start()
    helper.join(REACH_SECONDS)
    assert not helper.is_alive(), (
        "after `with lock.writing(): raise KeyError` and `with lock.reading(): raise KeyError`, acquire_write() "
        f"in another thread was still blocked {REACH_SECONDS:.0f} s later"
    )


def returns_soon(name, call) -> Helper:
    """Run `call` in a helper and give it REACH_SECONDS to return."""
    helper = Helper(name, call)
    helper.start()
    helper.join(REACH_SECONDS)
    return helper


@pytest.mark.task("single_thread")
def test_releasing_a_lock_not_held_is_an_error(exercise):
    lock = exercise.RWLock()
    with pytest.raises(RuntimeError):
        lock.release_read()
    with pytest.raises(RuntimeError):
        lock.release_write()
    lock.acquire_read()
    lock.release_read()
    with pytest.raises(RuntimeError):
        lock.release_read()  # one release per acquire, not more
    lock.acquire_write()
    lock.release_write()
    with pytest.raises(RuntimeError):
        lock.release_write()


@pytest.mark.task("single_thread")
def test_a_refused_release_changes_nothing(exercise):
    lock = exercise.RWLock()
    for call in (lock.release_read, lock.release_write, lock.release_read):
        with pytest.raises(RuntimeError):
            call()
    helper = returns_soon("writer", lambda: lock.acquire_write() or lock.release_write())
    assert not helper.is_alive() and helper.error is None, (
        "release_read(), release_write(), release_read() on a new lock each raised RuntimeError; then "
        f"acquire_write() + release_write() in another thread {'was still blocked ' + str(int(REACH_SECONDS)) + ' s later' if helper.is_alive() else 'raised ' + repr(helper.error)}, "
        "expected it to go through"
    )
    helper = returns_soon("reader", lambda: lock.acquire_read() or lock.release_read())
    assert not helper.is_alive() and helper.error is None, (
        f"then acquire_read() + release_read() {'was still blocked' if helper.is_alive() else 'raised ' + repr(helper.error)}, expected it to go through"
    )


# ---- task 2: readers share ---------------------------------------------------------------


@pytest.mark.task("shared_readers")
def test_many_readers_hold_the_lock_at_once(exercise):
    lock, room = exercise.RWLock(), Room()
    readers = [reader(lock, room, f"reader-{i}") for i in range(4)]
    for helper in readers:
        helper.start()
    try:
        together = room.inside(4, REACH_SECONDS)
        assert together, (
            f"4 readers took the lock and stayed inside: at most {room.probe.max_inside} were inside at once "
            f"within {REACH_SECONDS:.0f} s, expected all 4"
        )
    finally:
        finish(room, *readers)


@pytest.mark.task("shared_readers")
def test_a_reader_gets_in_while_another_reader_is_inside(exercise):
    lock, room = exercise.RWLock(), Room()
    first = reader(lock, room, "reader-1")
    first.start()
    try:
        assert room.inside(1, REACH_SECONDS), "the first reader never got the lock"
        late = Helper("late-reader", lambda: lock.acquire_read() or lock.release_read())
        late.start()
        late.join(REACH_SECONDS)
        assert not late.is_alive(), (
            f"with one reader inside, acquire_read() + release_read() in another thread was still blocked {REACH_SECONDS:.0f} s later"
        )
    finally:
        finish(room, first)


@pytest.mark.task("shared_readers")
def test_a_leaving_writer_lets_every_waiting_reader_in_at_once(exercise):
    lock, room = exercise.RWLock(), Room()
    holder = writer(lock, room, "writer")
    holder.start()
    readers: list[Helper] = []
    try:
        assert room.inside(1, REACH_SECONDS), "the writer never got the lock"
        readers = [reader(lock, room, f"reader-{i}") for i in range(3)]
        for helper in readers:
            helper.start()
        settle(*readers)
        room.open("writer")
        together = room.inside(3, REACH_SECONDS)
        assert together, (
            f"3 readers waited while a writer held the lock; the writer left and at most {room.probe.max_inside} "
            f"reader(s) were inside at once within {REACH_SECONDS:.0f} s, expected all 3"
        )
    finally:
        finish(room, holder, *readers)


# ---- task 3: writers are exclusive -----------------------------------------------------------


@pytest.mark.task("exclusive_writer")
def test_nobody_gets_in_while_a_writer_is_inside(exercise):
    lock, room = exercise.RWLock(), Room()
    holder = writer(lock, room, "writer-1")
    holder.start()
    others: list[Helper] = []
    try:
        assert room.inside(1, REACH_SECONDS), "the writer never got the lock"
        others = [reader(lock, room, "reader-1"), reader(lock, room, "reader-2"), writer(lock, room, "writer-2")]
        for helper in others:
            helper.start()
        intruded = room.inside(2, QUIET_SECONDS)
        assert not intruded, (
            f"while writer-1 held the lock, {', '.join(n for n in room.log if n != 'writer-1')} got in as well, "
            "expected nobody to"
        )
    finally:
        finish(room, holder, *others)


@pytest.mark.task("exclusive_writer")
def test_a_writer_waits_for_the_readers_inside(exercise):
    lock, room = exercise.RWLock(), Room()
    readers = [reader(lock, room, f"reader-{i}") for i in range(2)]
    for helper in readers:
        helper.start()
    late_writer = None
    try:
        assert room.inside(2, REACH_SECONDS), "two readers never got the lock together"
        late_writer = writer(lock, room, "writer")
        late_writer.start()
        intruded = room.inside(3, QUIET_SECONDS)
        assert not intruded, "a writer got in while two readers were inside, expected it to wait until they left"
        room.open("reader-0", "reader-1")
        assert wait_until(lambda: "writer" in room.log, REACH_SECONDS, "the writer never got in after the readers left"), (
            "the writer never got in after the readers left"
        )
    finally:
        finish(room, *readers, *([late_writer] if late_writer else []))


@pytest.mark.task("exclusive_writer")
def test_readers_never_see_a_half_written_record(exercise):
    lock = exercise.RWLock()
    record = {"first": 0, "second": 0}
    torn: list[tuple[int, int]] = []

    def write():
        for n in range(1, 301):
            with lock.writing():
                record["first"] = n
                yield_point()  # a slow write: other threads run here
                record["second"] = n

    def read():
        for _ in range(300):
            with lock.reading():
                first = record["first"]
                yield_point()
                second = record["second"]
            if first != second:
                torn.append((first, second))

    helpers = [Helper("writer-a", write), Helper("writer-b", write)] + [Helper(f"reader-{i}", read) for i in range(3)]
    with provoke_races():
        for helper in helpers:
            helper.start()
        stuck = join_all(helpers, HOLD_SECONDS * 2)
    assert not stuck, f"readers and writers still blocked after {HOLD_SECONDS * 2:.0f} s: {', '.join(stuck)}"
    assert not torn, (
        f"2 writers set record['first'] and then record['second'] to n inside writing(); 3 readers inside reading() "
        f"saw {len(torn)} records with first != second, e.g. (first, second) = {torn[0]}"
    )


def refused_release(exercise, holder_kind, release, intruder_kind):
    """Another thread holds the lock; this thread calls `release` on it, then an intruder tries to get in.

    Returns (what the release did, whether the intruder got in while the holder was inside).
    Cleans up without waiting long: a lock the release broke may never let its threads go.
    """
    lock, room = exercise.RWLock(), Room()
    holder = (reader if holder_kind == "reader" else writer)(lock, room, holder_kind)
    holder.start()
    helpers, intruded = [holder], None
    try:
        assert room.inside(1, REACH_SECONDS), f"the {holder_kind} never got the lock"
        try:
            getattr(lock, release)()
            did = "returned"
        except RuntimeError:
            did = "raised RuntimeError"
        except Exception as error:  # noqa: BLE001 - reported by the test
            did = f"raised {error!r}"
        intruder = (reader if intruder_kind == "reader" else writer)(lock, room, intruder_kind)
        intruder.start()
        helpers.append(intruder)
        intruded = room.inside(2, QUIET_SECONDS)
    finally:
        room.open_all()
        join_all(helpers, 1.0)
    return did, intruded


@pytest.mark.task("exclusive_writer")
def test_a_release_read_by_a_thread_that_holds_nothing_is_refused(exercise):
    did, intruded = refused_release(exercise, "reader", "release_read", "writer")
    assert did == "raised RuntimeError", (
        f"another thread held the lock for reading; release_read() in this thread, which holds nothing, {did}, "
        "expected RuntimeError"
    )
    assert not intruded, (
        "another thread held the lock for reading; this thread, holding nothing, called release_read() "
        "(it raised RuntimeError), and then a writer got in while the reader was still inside, expected it to wait"
    )


@pytest.mark.task("exclusive_writer")
def test_a_release_write_by_another_thread_is_refused(exercise):
    did, intruded = refused_release(exercise, "writer", "release_write", "reader")
    assert did == "raised RuntimeError", (
        f"another thread held the lock for writing; release_write() in this thread {did}, expected RuntimeError"
    )
    assert not intruded, (
        "another thread held the lock for writing; this thread called release_write() (it raised RuntimeError), "
        "and then a reader got in while the writer was still inside, expected it to wait"
    )


# ---- task 4: writers are not starved ----------------------------------------------------------


@pytest.mark.task("no_writer_starvation")
def test_a_waiting_writer_goes_before_readers_that_came_after_it(exercise):
    lock, room = exercise.RWLock(), Room()
    first = reader(lock, room, "reader-1")
    first.start()
    helpers = [first]
    try:
        assert room.inside(1, REACH_SECONDS), "the first reader never got the lock"
        waiting_writer = writer(lock, room, "writer")
        waiting_writer.start()
        helpers.append(waiting_writer)
        try:
            wait_until(lambda: waiting_in_threading(waiting_writer), timeout=1.0)
        except AssertionError:
            pass  # not built on threading's primitives: a second is plenty for it to start waiting
        newcomer = reader(lock, room, "reader-2")
        newcomer.start()
        helpers.append(newcomer)
        overtook = room.inside(2, QUIET_SECONDS)
        assert not overtook, (
            "reader-1 held the lock and a writer was waiting for it; reader-2 arrived later and got in before the "
            "writer, expected it to wait until the writer had written"
        )
        room.open("reader-1")
        wait_until(lambda: "writer" in room.log, REACH_SECONDS, "the writer never got in after reader-1 left")
        room.open("writer")
        wait_until(lambda: "reader-2" in room.log, REACH_SECONDS, "reader-2 never got in after the writer left")
        order = [name for name in room.log]
        assert order == ["reader-1", "writer", "reader-2"], f"the lock was taken in the order {order}"
    finally:
        finish(room, *helpers)


@pytest.mark.task("no_writer_starvation")
def test_waiting_writers_go_before_waiting_readers(exercise):
    lock, room = exercise.RWLock(), Room()
    first = writer(lock, room, "writer-1")
    first.start()
    helpers = [first]
    try:
        assert room.inside(1, REACH_SECONDS), "writer-1 never got the lock"
        waiting_reader = reader(lock, room, "reader")
        waiting_reader.start()
        helpers.append(waiting_reader)
        settle(waiting_reader)
        second = writer(lock, room, "writer-2")
        second.start()
        helpers.append(second)
        settle(second)
        room.open("writer-1")
        wait_until(lambda: len(room.log) >= 2, REACH_SECONDS, "nobody got in after writer-1 left")
        room.inside(2, QUIET_SECONDS)  # anyone else who could get in now has had the time to
        assert room.log == ["writer-1", "writer-2"], (
            "writer-1 held the lock, a reader and then writer-2 waited for it; when writer-1 left, "
            f"{' and '.join(room.log[1:])} got in, expected writer-2 alone"
        )
    finally:
        finish(room, *helpers)


# ---- task 5: every schedule of small scenarios ---------------------------------------
# course.testing.explore runs the threads under every order of their steps on the
# lock's insides (its Condition's lock, waits and notifies) and their `pause()` while
# holding the lock, with at most one switch away from a thread that could go on
# (switches when a thread waits or ends are free). A failure lists the schedule.


class Occupancy:
    """Who is inside the lock now, and what went wrong, seen by the threads themselves."""

    def __init__(self, lock):
        self.lock = lock
        self.readers = self.writers = self.most_readers = 0
        self.wrong: list[str] = []
        self.refusals: list[str] = []

    def read(self) -> None:
        with self.lock.reading():
            self.readers += 1
            self.most_readers = max(self.most_readers, self.readers)
            if self.writers:
                self.wrong.append("a reader got in while a writer was inside")
            pause("reads")
            self.readers -= 1

    def write(self) -> None:
        with self.lock.writing():
            self.writers += 1
            if self.readers or self.writers > 1:
                self.wrong.append(f"a writer got in while {self.readers} reader(s) and {self.writers - 1} other writer(s) were inside")
            pause("writes")
            self.writers -= 1


def explore_occupancy(exercise, title, workers, invariant):
    result = explore(lambda: Occupancy(exercise.RWLock()), workers, invariant, modules=[exercise], title=title, preemption_bound=1)
    assert result.schedules >= 2, f"{title}: only {result.schedules} schedule explored"


@pytest.mark.task("every_schedule")
def test_every_schedule_of_two_readers_and_a_writer_keeps_the_writer_alone(exercise):
    most = []

    def invariant(room):
        assert not room.wrong, room.wrong[0]
        most.append(room.most_readers)

    explore_occupancy(exercise, "two readers and a writer", [("read", Occupancy.read), ("read", Occupancy.read), ("write", Occupancy.write)],
                 invariant)
    assert max(most) == 2, "in no schedule of two readers and a writer were the two readers inside together: readers exclude each other"


@pytest.mark.task("every_schedule")
def test_in_no_schedule_does_a_release_by_a_thread_holding_nothing_let_anyone_in(exercise):
    def release_without_holding(room):
        try:
            room.lock.release_write()
        except RuntimeError:
            room.refusals.append("release_write")

    def invariant(room):
        assert not room.wrong, room.wrong[0] + " (after release_write() by a thread that held nothing)"
        assert room.refusals == ["release_write"], "release_write() by a thread that held nothing did not raise RuntimeError"

    explore_occupancy(exercise, "a writer, a reader, and a thread calling release_write() without holding the lock",
                 [("write", Occupancy.write), ("release_write() holding nothing", release_without_holding), ("read", Occupancy.read)],
                 invariant)


@pytest.mark.task("every_schedule")
def test_in_every_schedule_the_readers_a_writer_kept_out_get_in_together_when_it_leaves(exercise):
    def setup():
        return {"lock": exercise.RWLock(), "writer inside": Event(), "both readers inside": Barrier(2)}

    def write(state):
        with state["lock"].writing():
            state["writer inside"].set()

    def read(state):
        state["writer inside"].wait()
        with state["lock"].reading():
            # Each reader stays inside until the other one is inside too: a lock that
            # lets only one reader in after the writer leaves keeps them waiting forever.
            state["both readers inside"].wait()

    result = explore(setup, [("write", write), ("read once the writer is inside", read),
                             ("read once the writer is inside", read)],
                     modules=[exercise], title="a writer inside, then two readers who meet inside", preemption_bound=1)
    assert result.schedules >= 2, f"only {result.schedules} schedule explored"
