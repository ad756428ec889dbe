"""Graded tests for exercises/ch02_threading/phased_simulation.py.

The oracle is the serial loop from the exercise's docstring. The rules handed
to simulate() make scheduling bugs show:

- `Straggler`: the first worker to compute a cell stops there until the other
  workers have done several steps' worth of cells (or a short while has passed:
  with a working barrier they cannot, they are waiting for it). Without a
  barrier the others race ahead and read cells the straggler has not written
  yet, and the result differs from the oracle every time.
- `Meeting`: each worker's first cell waits at a test Barrier for all the
  others, which proves the workers run at once (observed, not timed).

- `Gate`: one call of the rule fails while another worker is held inside the
  rule, so the test sees whether simulate() raises before that worker ends.

Every split of the ring (sizes that do not divide evenly, one cell per
worker, a ring of one) is checked against the serial loop with hypothesis,
under a fixed profile.

simulate() runs in a daemon helper thread joined with a deadline, so a worker
stuck at a barrier fails the test instead of hanging it.
"""

from __future__ import annotations

import random
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course.testing import plain, provoke_races, wait_until, yield_point
from course.testing.explore import explore, others_running, pause

RETURN_SECONDS = 5.0
QUIET_SECONDS = 0.4  # how long simulate() has to return early, if it does not wait for its workers
MODEL = settings(
    derandomize=True,
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def average(left, centre, right):
    return (left + centre + right) / 3


def serial(cells, steps, rule=average):
    n = len(cells)
    cells = list(cells)
    for _ in range(steps):
        cells = [rule(cells[i - 1], cells[i], cells[(i + 1) % n]) for i in range(n)]
    return cells


def ring(n, seed=7):
    rng = random.Random(seed)
    return [float(rng.randint(0, 1000)) for _ in range(n)]


def same(got, expected):
    return len(got) == len(expected) and all(abs(a - b) < 1e-9 for a, b in zip(got, expected))


class Helper(threading.Thread):
    def __init__(self, name, call):
        super().__init__(name=name, daemon=True)
        self.call, self.result, self.error = call, None, None

    def run(self):
        try:
            self.result = self.call()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.error = error


def run_simulation(exercise, *args, **kwargs):
    helper = Helper("simulate", lambda: exercise.simulate(*args, **kwargs))
    helper.start()
    helper.join(RETURN_SECONDS)
    assert not helper.is_alive(), f"simulate() did not return within {RETURN_SECONDS:.0f} s"
    return helper


class Straggler:
    """A rule whose first caller falls behind until the others have run ahead."""

    def __init__(self, ahead: int, patience: float = 0.3):
        self.ahead, self.patience = ahead, patience
        self.slow: int | None = None
        self.others = 0
        self.changed = threading.Condition()

    def __call__(self, left, centre, right):
        me = threading.get_ident()
        with self.changed:
            if self.slow is None:
                self.slow = me
                stall = True
            else:
                stall = False
                if me != self.slow:
                    self.others += 1
                    self.changed.notify_all()
            if stall:
                self.changed.wait_for(lambda: self.others >= self.ahead, timeout=self.patience)
        return average(left, centre, right)


class Meeting:
    """A rule whose every worker, at its first cell, waits for all the others to arrive."""

    def __init__(self, workers: int):
        self.barrier = threading.Barrier(workers, timeout=2.0)
        self.threads: set[int] = set()
        self.missed = False
        self.lock = threading.Lock()

    def __call__(self, left, centre, right):
        me = threading.get_ident()
        with self.lock:
            first = me not in self.threads
            self.threads.add(me)
        if first:
            try:
                self.barrier.wait()
            except threading.BrokenBarrierError:
                self.missed = True
        return average(left, centre, right)


def others_alive(before):
    return [t for t in threading.enumerate() if t not in before and t.is_alive()]


# ---- task 1: same as the serial loop --------------------------------------------------


@pytest.mark.task("matches_serial")
def test_one_worker_matches_the_serial_loop(exercise):
    cells = ring(10)
    helper = run_simulation(exercise, cells, 5, 1)
    assert helper.error is None, f"simulate(cells, 5, workers=1) raised {helper.error!r}"
    assert same(plain(helper.result), serial(cells, 5)), (
        f"simulate(cells, 5, workers=1) returned {helper.result}, expected {serial(cells, 5)}"
    )


@pytest.mark.task("matches_serial")
def test_the_input_is_left_alone_and_zero_steps_copy_it(exercise):
    cells = ring(6)
    original = list(cells)
    helper = run_simulation(exercise, cells, 0, 2)
    assert helper.error is None, f"simulate(cells, 0, workers=2) raised {helper.error!r}"
    assert plain(helper.result) == original and helper.result is not cells, (
        "simulate(cells, 0, 2) should return a new list equal to cells"
    )
    run_simulation(exercise, cells, 3, 2)
    assert cells == original, "simulate() changed the list it was given"


@pytest.mark.task("matches_serial")
def test_bad_arguments_are_rejected(exercise):
    for args in (([1.0, 2.0], 1, 0), ([1.0, 2.0], 1, 3), ([1.0, 2.0], -1, 1), ([], 0, 1), ([], 1, 0)):
        with pytest.raises(ValueError):
            exercise.simulate(*args)


class Counted:
    """The average rule, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, left, centre, right):
        with self.lock:
            self.calls += 1
        return average(left, centre, right)


@pytest.mark.task("matches_serial")
@MODEL
@given(
    size=st.integers(1, 11),
    data=st.data(),
    steps=st.integers(0, 4),
    as_tuple=st.booleans(),
)
def test_every_split_of_the_ring_matches_the_serial_loop(exercise, size, data, steps, as_tuple):
    workers = data.draw(st.integers(1, size), label="workers")
    cells = ring(size, seed=size * 10 + steps)
    rule = Counted()
    given_cells = tuple(cells) if as_tuple else list(cells)
    helper = run_simulation(exercise, given_cells, steps, workers, rule=rule)
    call = f"simulate({size} cells, steps={steps}, workers={workers})"
    assert helper.error is None, f"{call} raised {helper.error!r}"
    expected = serial(cells, steps)
    assert type(helper.result) is list and same(plain(helper.result), expected), (
        f"{call} returned {helper.result!r}, expected {expected}"
    )
    assert rule.calls == size * steps, f"{call} called the rule {rule.calls} time(s), expected {size * steps} (once per cell and step)"


# ---- task 2: phases never mix -----------------------------------------------------------


@pytest.mark.task("phases_never_mix")
def test_a_slow_worker_does_not_let_the_others_run_ahead(exercise):
    cells, steps, workers = ring(12), 6, 3
    straggler = Straggler(ahead=3 * len(cells))
    helper = run_simulation(exercise, cells, steps, workers, rule=straggler)
    assert helper.error is None, f"simulate raised {helper.error!r}"
    expected = serial(cells, steps)
    assert same(plain(helper.result), expected), (
        f"one worker was held at its first cell of step 0 while the others computed {straggler.others} cells; "
        f"the result was {helper.result}, expected {expected}"
    )


@pytest.mark.task("phases_never_mix")
def test_many_workers_under_frequent_switches_match_the_serial_loop(exercise):
    cells, steps = ring(16, seed=3), 8

    def switchy(left, centre, right):
        yield_point()
        return average(left, centre, right)

    with provoke_races():
        for workers in (2, 4, 16):
            helper = run_simulation(exercise, cells, steps, workers, rule=switchy)
            assert helper.error is None, f"simulate(workers={workers}) raised {helper.error!r}"
            assert same(plain(helper.result), serial(cells, steps)), (
                f"simulate(16 cells, {steps} steps, workers={workers}) differs from the serial loop: "
                f"got {helper.result}, expected {serial(cells, steps)}"
            )


# ---- task 3: really parallel ---------------------------------------------------------------


@pytest.mark.task("workers_in_parallel")
@pytest.mark.parametrize("size, workers", [(12, 4), (10, 3)])
def test_every_worker_computes_at_the_same_time(exercise, size, workers):
    meeting = Meeting(workers)
    cells = ring(size)
    helper = run_simulation(exercise, cells, 3, workers, rule=meeting)
    assert helper.error is None, f"simulate raised {helper.error!r}"
    assert len(meeting.threads) == workers and not meeting.missed, (
        f"simulate({size} cells, workers={workers}) ran the rule in {len(meeting.threads)} thread(s), and they "
        f"{'did not' if meeting.missed else 'did'} all compute at the same moment; expected {workers} threads "
        "working at once"
    )
    assert same(plain(helper.result), serial(cells, 3)), "the result differs from the serial loop"


# ---- task 4: clean shutdown ---------------------------------------------------------------------


@pytest.mark.task("stop_and_join")
def test_no_worker_is_left_running_after_simulate_returns(exercise):
    before = set(threading.enumerate())
    helper = run_simulation(exercise, ring(8), 4, 4)
    assert helper.error is None, f"simulate raised {helper.error!r}"
    left = [t for t in others_alive(before) if t is not helper]
    assert not left, f"simulate(8 cells, 4 steps, workers=4) returned while thread(s) were still running: {', '.join(t.name for t in left)}"


@pytest.mark.task("stop_and_join")
def test_an_error_in_one_worker_is_raised_without_hanging(exercise):
    calls = []
    lock = threading.Lock()

    def faulty(left, centre, right):
        with lock:
            calls.append(1)
            count = len(calls)
        if count == 5:
            raise ArithmeticError("the rule failed on its fifth cell")
        return average(left, centre, right)

    before = set(threading.enumerate())
    helper = Helper("simulate", lambda: exercise.simulate(ring(8), 4, 4, rule=faulty))
    helper.start()
    helper.join(5.0)
    assert not helper.is_alive(), "the rule raised in one worker and simulate() had not returned 5 s later"
    assert isinstance(helper.error, ArithmeticError), (
        f"the rule raised ArithmeticError in one worker; simulate returned {helper.result!r} / raised "
        f"{helper.error!r}, expected the ArithmeticError"
    )
    left = [t for t in others_alive(before) if t is not helper]
    assert not left, f"simulate() raised while thread(s) were still running: {', '.join(t.name for t in left)}"


class Gate:
    """At step 0, hold the worker of the ring's last cell inside the rule, then fail the worker of cell 0.

    The held worker is the one started last, so code that raises as soon as
    it has joined the failed worker shows, whatever order it joins in.
    """

    def __init__(self, cells, held_fails=False) -> None:
        self.hold_at, self.fail_at = cells[-1], cells[0]
        self.held_fails = held_fails  # the held worker fails too once let go
        self.held = threading.Event()
        self.release = threading.Event()
        self.failed = threading.Event()

    def __call__(self, left, centre, right):
        if centre == self.hold_at and not self.held.is_set():
            self.held.set()
            self.release.wait(RETURN_SECONDS)
            if self.held_fails:
                raise LookupError("the held rule failed too")
        elif centre == self.fail_at and not self.failed.is_set():
            self.held.wait(RETURN_SECONDS)
            self.failed.set()
            raise ArithmeticError("the rule failed")
        return average(left, centre, right)


@pytest.mark.task("stop_and_join")
def test_an_error_is_raised_only_after_every_worker_has_ended(exercise):
    cells = ring(8)
    gate = Gate(cells)
    before = set(threading.enumerate())
    helper = Helper("simulate", lambda: exercise.simulate(cells, 3, 2, rule=gate))
    helper.start()
    try:
        wait_until(lambda: gate.failed.is_set(), timeout=5.0, message="simulate(8 cells, 3 steps, workers=2): the rule was not called on both the first and the last cell within 5 s")
        helper.join(QUIET_SECONDS)
        early = not helper.is_alive()
    finally:
        gate.release.set()
        helper.join(RETURN_SECONDS)
    assert not early, (
        "simulate(8 cells, 3 steps, workers=2): one worker was held inside the rule and the rule raised "
        f"ArithmeticError in the other; simulate {'raised ' + repr(helper.error) if helper.error else 'returned'} "
        "while the held worker was still inside the rule, expected it to wait for that worker"
    )
    assert not helper.is_alive(), f"simulate() had not returned {RETURN_SECONDS:.0f} s after the held worker was let go"
    assert isinstance(helper.error, ArithmeticError), f"simulate returned {helper.result!r} / raised {helper.error!r}, expected the ArithmeticError"
    left = [t for t in others_alive(before) if t is not helper]
    assert not left, f"simulate() raised while thread(s) were still running: {', '.join(t.name for t in left)}"


@pytest.mark.task("stop_and_join")
def test_the_first_error_is_the_one_raised(exercise):
    cells = ring(8)
    gate = Gate(cells, held_fails=True)
    helper = Helper("simulate", lambda: exercise.simulate(cells, 3, 2, rule=gate))
    helper.start()
    try:
        wait_until(lambda: gate.failed.is_set(), timeout=5.0, message="simulate(8 cells, 3 steps, workers=2): the rule was not called on both the first and the last cell within 5 s")
    finally:
        gate.release.set()
        helper.join(RETURN_SECONDS)
    assert not helper.is_alive(), f"simulate() had not returned {RETURN_SECONDS:.0f} s after both workers failed"
    assert type(helper.error) is ArithmeticError, (
        "simulate(8 cells, 3 steps, workers=2): the rule raised ArithmeticError in one worker, then LookupError in the "
        f"other; simulate returned {helper.result!r} / raised {helper.error!r}, expected the first, the ArithmeticError"
    )


# ---- task 5: every schedule of small scenarios ---------------------------------------
# course.testing.explore runs simulate() in one thread, and the worker threads it starts,
# under every order of their steps (starting and joining threads, the barrier, and the
# rule's own `pause()` before each cell) with at most two switches away from a thread
# that could go on (switches when a thread waits or ends are free). A failure lists
# the schedule. Five cells and two workers: one worker owns three cells.

EXPLORED_CELLS = [0.0, 3.0, 6.0, 9.0, 12.0]


def explored_rule(failing_cell=None):
    """average(), with a point before each cell where the explorer may switch threads;
    raises ArithmeticError on the cell whose old value is `failing_cell`."""
    def rule(left, centre, right):
        pause(f"computes the cell that held {centre:g}")
        if centre == failing_cell:
            raise ArithmeticError(f"rule failed on the cell holding {centre:g}")
        return average(left, centre, right)

    return rule


def explore_simulation(exercise, title, call, invariant):
    def work(state):
        try:
            state["result"] = call()
        except ArithmeticError as error:
            state["raised"] = str(error)
        state["still running"] = others_running()

    result = explore(dict, [("calls simulate", work)], invariant, modules=[exercise], title=title, preemption_bound=2)
    assert result.schedules >= 2, f"{title}: only {result.schedules} schedule explored"


@pytest.mark.task("every_schedule")
def test_every_schedule_of_two_workers_matches_the_serial_loop(exercise):
    expected = serial(EXPLORED_CELLS, 2)

    def invariant(state):
        assert "raised" not in state, f"simulate raised {state['raised']}"
        assert same(plain(state["result"]), expected), f"simulate(...) returned {state['result']}, expected {expected}"
        assert not state["still running"], f"simulate returned while {state['still running']} still ran"

    explore_simulation(exercise, f"simulate({EXPLORED_CELLS}, steps=2, workers=2)",
                       lambda: exercise.simulate(EXPLORED_CELLS, 2, 2, explored_rule()), invariant)


@pytest.mark.task("every_schedule")
def test_in_every_schedule_a_failing_rule_stops_every_worker_and_reaches_the_caller(exercise):
    def invariant(state):
        assert "raised" in state, f"simulate returned {state.get('result')} although the rule raised ArithmeticError"
        assert state["raised"] == "rule failed on the cell holding 9", f"simulate raised {state['raised']!r}, expected the rule's error"
        assert not state["still running"], f"simulate raised while {state['still running']} still ran"

    explore_simulation(exercise, f"simulate({EXPLORED_CELLS}, steps=2, workers=2) with a rule failing on the cell holding 9",
                       lambda: exercise.simulate(EXPLORED_CELLS, 2, 2, explored_rule(failing_cell=9.0)), invariant)
