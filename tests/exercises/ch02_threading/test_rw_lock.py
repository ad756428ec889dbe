"""Graded tests for exercises/ch02_threading/rw_lock.py.

Every holder of the lock in these tests enters a course.testing.Overlap region
and waits there for the test to open a gate (an Event). While the gate is shut
the test can see exactly who is inside together:

- sharing: several readers inside at once (observed, not timed);
- exclusion: with a writer inside, nobody else gets in for a while; a broken
  lock lets them in within microseconds, so a short quiet period is a reliable
  witness, and a right lock only costs that quiet period;
- no starvation: with a reader inside and a writer waiting, a new reader must
  not get in before the writer.

Threads are daemon threads joined with a deadline, so a lock that never lets
anyone in fails the test instead of hanging it.
"""

from __future__ import annotations

import sys
import threading

import pytest

from course.testing import Overlap, provoke_races, wait_until, yield_point

HOLD_SECONDS = 5.0  # a holder waits at most this long for its gate
REACH_SECONDS = 3.0  # how long the expected holders have to get in
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


def finish(room, *helpers):
    room.open_all()
    for helper in helpers:
        helper.join(HOLD_SECONDS * 2)
    stuck = [h.name for h in helpers if h.is_alive()]
    assert not stuck, f"still blocked after every holder left: {', '.join(stuck)} (a release never woke them)"
    errors = [(h.name, h.error) for h in helpers if h.error]
    assert not errors, f"{errors[0][0]} raised {errors[0][1]!r}"


def waiting_in_threading(thread) -> bool:
    """True when the thread's innermost frame is inside the threading module (waiting)."""
    frame = sys._current_frames().get(thread.ident)
    return frame is not None and frame.f_code.co_filename == threading.__file__


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
    assert not helper.is_alive(), "reading, writing, reading again in one thread blocked: a release did not release"
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
        "after `with lock.writing(): raise` and `with lock.reading(): raise`, acquire_write() blocked: "
        "the context managers must release in a finally block"
    )


@pytest.mark.task("single_thread")
def test_releasing_a_lock_not_held_is_an_error(exercise):
    lock = exercise.RWLock()
    with pytest.raises(RuntimeError):
        lock.release_read()
    with pytest.raises(RuntimeError):
        lock.release_write()


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
            f"4 readers took the lock and stayed inside: at most {room.probe.max_inside} were inside at once, "
            "expected all 4 (readers must not exclude each other)"
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
        assert not late.is_alive(), "a second reader could not get in while one reader held the lock"
    finally:
        finish(room, first)


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
            f"while writer-1 held the lock, {', '.join(n for n in room.log if n != 'writer-1')} got in as well: "
            "a writer must hold the lock alone"
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
        assert not intruded, "a writer got in while two readers were inside: it must wait until they leave"
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
        for helper in helpers:
            helper.join(HOLD_SECONDS * 2)
    stuck = [h.name for h in helpers if h.is_alive()]
    assert not stuck, f"readers and writers still blocked after {HOLD_SECONDS * 2:.0f} s: {', '.join(stuck)}"
    assert not torn, (
        f"readers saw {len(torn)} half-written records, e.g. (first, second) = {torn[0]}: a writer must "
        "exclude readers for the whole write"
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
            "reader-1 held the lock and a writer was waiting for it; reader-2 arrived later and got in at once. "
            "With a steady stream of readers the writer would wait forever: once a writer waits, new readers "
            "must queue behind it"
        )
        room.open("reader-1")
        wait_until(lambda: "writer" in room.log, REACH_SECONDS, "the writer never got in after reader-1 left")
        room.open("writer")
        wait_until(lambda: "reader-2" in room.log, REACH_SECONDS, "reader-2 never got in after the writer left")
        order = [name for name in room.log]
        assert order == ["reader-1", "writer", "reader-2"], f"the lock was taken in the order {order}"
    finally:
        finish(room, *helpers)
