"""course.testing.explore finds what it claims to, the same way every time, and cleans up."""

import textwrap
import threading
import types

import pytest

from course.testing.explore import ExplorationError, explore, pause, timeline_of

TOY = '''
import threading
from threading import Lock

SHARED = Lock()  # made at import: stood in for while a scenario runs


class Counter:
    def __init__(self, locked):
        self.value = 0
        self.lock = threading.Lock() if locked else None

    def add(self, io):
        if self.lock:
            self.lock.acquire()
        current = self.value
        io()
        self.value = current + 1
        if self.lock:
            self.lock.release()


def both(first, second):
    with first:
        with second:
            pass


class Mailbox:
    def __init__(self, wake_all):
        self.items = []
        self.changed = threading.Condition()
        self.wake_all = wake_all

    def _wake(self):
        self.changed.notify_all() if self.wake_all else self.changed.notify()

    def put(self, item):
        with self.changed:
            while len(self.items) >= 1:
                self.changed.wait()
            self.items.append(item)
            self._wake()

    def get(self):
        with self.changed:
            while not self.items:
                self.changed.wait()
            item = self.items.pop()
            self._wake()
            return item


def with_shared(counter):
    with SHARED:
        counter.add(lambda: None)
'''


@pytest.fixture
def toy():
    module = types.ModuleType("toy")
    exec(compile(textwrap.dedent(TOY), "toy.py", "exec"), vars(module))
    return module


def adds(toy, locked):
    return dict(setup=lambda: toy.Counter(locked),
                workers=[("add", lambda c: c.add(lambda: pause("pauses between read and write")))] * 2,
                invariant=lambda c: c.value == 2, modules=[toy], title="two adds")


def test_an_unlocked_read_modify_write_fails_with_its_schedule_the_same_way_every_time(toy):
    messages = []
    for _ in range(2):
        with pytest.raises(ExplorationError) as failure:
            explore(**adds(toy, locked=False))
        messages.append(str(failure.value))
    assert messages[0] == messages[1]
    assert "two adds fails in schedule" in messages[0]
    assert "1. thread 1 (add) begins; next it pauses between read and write" in messages[0]
    assert "thread 2 (add) pauses between read and write; next it ends" in messages[0]
    assert "then: the invariant does not hold" in messages[0]


def test_a_locked_read_modify_write_holds_in_every_schedule_and_counts_them_the_same(toy):
    counts = {explore(**adds(toy, locked=True)).schedules for _ in range(2)}
    assert len(counts) == 1 and counts.pop() > 2


def test_a_preemption_bound_explores_fewer_schedules(toy):
    everything = explore(**adds(toy, locked=True)).schedules
    bounded = explore(**adds(toy, locked=True), preemption_bound=0).schedules
    assert 1 <= bounded < everything


def test_opposite_lock_orders_are_reported_as_a_deadlock_naming_who_waits_for_whom(toy):
    with pytest.raises(ExplorationError) as failure:
        explore(lambda: (toy.threading.Lock(), toy.threading.Lock()),
                [("a then b", lambda s: toy.both(s[0], s[1])), ("b then a", lambda s: toy.both(s[1], s[0]))],
                modules=[toy])
    message = str(failure.value)
    assert "no thread can go on" in message
    assert "thread 1 (a then b) waits: it takes lock 2 (held by thread 2 (b then a))" in message
    assert "thread 2 (b then a) waits: it takes lock 1 (held by thread 1 (a then b))" in message


@pytest.mark.parametrize("wake_all", [False, True])
def test_a_lone_notify_between_producers_and_consumers_loses_a_wakeup_and_notify_all_does_not(toy, wake_all):
    def scenario():
        got = []
        return dict(setup=lambda: toy.Mailbox(wake_all),
                    workers=[("get", lambda m: got.append(m.get())), ("get", lambda m: got.append(m.get())),
                             ("put 1, then 2", lambda m: (m.put(1), m.put(2)))],
                    modules=[toy], preemption_bound=1)

    if wake_all:
        assert explore(**scenario()).schedules > 1
    else:
        with pytest.raises(ExplorationError, match="no thread can go on"):
            explore(**scenario())


def test_blocking_the_explorer_does_not_control_fails_in_time_and_leaves_no_thread(toy):
    outside = threading.Lock()  # a real lock, made by the test, not stood in for
    outside.acquire()
    before = set(threading.enumerate())
    try:
        with pytest.raises(ExplorationError, match="without reaching a point the explorer controls"):
            explore(dict, [("blocks", lambda s: outside.acquire())], modules=[toy], step_timeout=0.3)
    finally:
        outside.release()
    leftover = [t for t in threading.enumerate() if t not in before]
    for thread in leftover:
        thread.join(timeout=2)
    assert not [t for t in leftover if t.is_alive()]


def test_the_code_under_test_gets_its_threading_and_import_time_locks_back(toy):
    shared, real_lock = toy.SHARED, toy.Lock
    explore(lambda: toy.Counter(False), [("with the shared lock", toy.with_shared)] * 2, lambda c: c.value == 2, modules=[toy])
    assert toy.threading is threading and toy.Lock is real_lock and toy.SHARED is shared


def test_a_timed_wait_times_out_only_when_nobody_else_can_go_on(toy):
    waits = []
    explore(lambda: toy.threading.Event(), [("waits 5 s", lambda e: waits.append(e.wait(5)))], modules=[toy])
    assert waits == [False]
    waits.clear()
    explore(lambda: toy.threading.Event(), [("waits 5 s", lambda e: waits.append(e.wait(5))), ("sets", lambda e: e.set())],
            modules=[toy])
    assert waits and all(waits)


def test_a_scenario_with_too_many_schedules_is_refused_rather_than_cut_short(toy):
    with pytest.raises(ExplorationError, match="more than 3 schedules"):
        explore(**adds(toy, locked=True), max_schedules=3)


def test_a_failing_schedule_becomes_a_timeline_with_one_lane_per_thread(toy):
    with pytest.raises(ExplorationError) as failure:
        explore(**adds(toy, locked=False))
    timeline = timeline_of(failure.value.steps)
    assert timeline.lanes == ["thread 1 (add)", "thread 2 (add)"]
    assert [span.start for span in timeline.spans] == list(range(len(timeline.spans)))
