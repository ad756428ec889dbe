"""Run a small thread scenario under every schedule, and show the one that breaks it.

Sampling with a tiny switch interval can only say "no bug seen". This module
turns a scenario of two or three threads into a proof for that scenario: it
runs the threads one at a time, and at every point where the order matters
(taking or giving back a lock, waiting on or notifying a Condition, a
Semaphore, an Event or a Barrier, starting or joining a thread, and every
`pause()` the test hands to the code as its simulated I/O) it chooses which
thread goes next. It then replays the scenario until every sequence of those
choices has been tried, depth first, and checks the scenario's invariant after
each one. A deadlock, a thread left running, an exception in a thread or a
broken invariant fails with the schedule written out as numbered steps.

How: while a scenario runs, the modules the test names (the code under test)
see cooperative versions of `threading.Lock`, `RLock`, `Condition`,
`Semaphore`, `BoundedSemaphore`, `Event`, `Barrier` and `Thread` (their
`threading` is a stand-in module; the real `threading` is left alone), and
only the thread the explorer picked is let through. Time is virtual: a wait
with a timeout times out only when no thread can go on; a timeout of 0 does
not wait.

What it cannot see, so what it does not prove:
- a switch between two steps that are not such points: `x += 1` with no lock
  and no pause in between is one step here (hand the code a `pause()` between
  its read and its write, as the exercises' `io` callables do);
- blocking it does not control: a lock made before the scenario (at import),
  `queue.SimpleQueue` (so `concurrent.futures` pools), sockets, sleeps,
  processes and asyncio. Such a thread stops reaching points; the run fails
  after `step_timeout` seconds saying so, instead of hanging;
- anything beyond the scenario: more threads, other arguments, longer runs.
"""

from __future__ import annotations

import _thread
import contextlib
import threading
import time
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable, Iterator, Sequence

from course.testing import yield_point

# The real things, bound at import; the code under test sees stand-ins only during a scenario.
_REAL = {name: getattr(threading, name) for name in
         ("Lock", "RLock", "Condition", "Semaphore", "BoundedSemaphore", "Event", "Barrier", "Thread")}
_RealThread = threading.Thread
_allocate = _thread.allocate_lock
_get_ident = threading.get_ident
_local = threading.local()
_monotonic = time.monotonic

Worker = Callable[[Any], Any]


class ExplorationError(AssertionError):
    """A schedule broke the scenario; the message lists that schedule step by step,
    and `steps` holds it as (thread, step) pairs (see `timeline_of`)."""

    def __init__(self, message: str, steps: Sequence[tuple[str, str, str]] = ()):
        super().__init__(message)
        self.steps = list(steps)


class _Abandoned(BaseException):
    """Raised in a thread of a finished run at its next point, so that it unwinds."""


def _always() -> bool:
    return True


@dataclass
class _Thread:
    """One thread the explorer runs: its turn token and the step it waits to take."""

    name: str
    go: Any = field(default_factory=_allocate)
    step: str = "begins"
    enabled: Callable[[], bool] = _always
    blocked_on: Callable[[], str] | None = None
    deadline: float | None = None
    timed_out: bool = False
    done: bool = False
    error: BaseException | None = None
    real: Any = None
    notes: list[str] = field(default_factory=list)  # what its last step did that is worth telling

    def __post_init__(self) -> None:
        self.go.acquire()  # taken until the explorer gives this thread its turn


class _Run:
    """One execution of the scenario under a given prefix of choices."""

    def __init__(self, prefix: Sequence[int], max_steps: int, step_timeout: float, preemption_bound: int | None):
        self.prefix = list(prefix)
        self.max_steps = max_steps
        self.step_timeout = step_timeout
        self.preemption_bound = preemption_bound
        self.threads: list[_Thread] = []
        self.by_ident: dict[int, _Thread] = {}
        self.back = _allocate()
        self.back.acquire()
        self.steps: list[tuple[str, str, str]] = []  # (thread, the step it took, where it stopped next)
        self.decisions: list[tuple[int, int, bool, int]] = []  # (options, chosen, preemptive, preemptions before)
        self.preemptions = 0
        self.clock = 0.0
        self.abandoned = False
        self.counters: dict[str, int] = {}
        self.problem = ""

    # -- naming ----------------------------------------------------------------------
    def label(self, kind: str) -> str:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return f"{kind} {self.counters[kind]}"

    def name_of(self, ident: int | None) -> str:
        if ident is None:
            return "nobody"
        managed = self.by_ident.get(ident)
        return managed.name if managed else "the test"

    # -- the threads' side -----------------------------------------------------------
    def add_thread(self, name: str, body: Callable[[], Any]) -> _Thread:
        managed = _Thread(name)
        self.threads.append(managed)

        def bootstrap() -> None:
            _local.managed, _local.run = managed, self
            self.by_ident[_get_ident()] = managed
            managed.go.acquire()
            try:
                if self.abandoned:
                    raise _Abandoned
                body()
            except _Abandoned:
                pass
            except BaseException as error:  # noqa: BLE001 - reported as the schedule's failure
                if not self.abandoned:  # not an error raised while a finished run unwinds
                    managed.error = error
            finally:
                managed.done = True
                if not self.abandoned:
                    self.back.release()

        managed.real = _RealThread(target=bootstrap, name=f"explored: {name}", daemon=True)
        managed.real.start()
        return managed

    def point(self, step: str, enabled: Callable[[], bool] | None = None, timeout: float | None = None,
              blocked_on: Callable[[], str] | None = None) -> bool:
        """Wait for this thread's turn to take `step`; False when it timed out instead."""
        managed = getattr(_local, "managed", None)
        if managed is None or getattr(_local, "run", None) is not self:
            return _direct(step, enabled, timeout)
        if self.abandoned:
            raise _Abandoned
        at_once = timeout is not None and timeout <= 0  # do not wait: go on either way
        managed.step, managed.blocked_on = step, blocked_on
        managed.enabled = _always if at_once else enabled or _always
        managed.deadline = None if timeout is None or at_once else self.clock + timeout
        managed.timed_out = False
        self.back.release()
        managed.go.acquire()
        if self.abandoned:
            raise _Abandoned
        if at_once and enabled is not None:
            return enabled()
        return not managed.timed_out

    # -- the explorer's side ---------------------------------------------------------
    def schedule(self) -> None:
        """Give turns until every thread has finished or the run cannot go on."""
        previous: _Thread | None = None
        while True:
            live = [t for t in self.threads if not t.done]
            if not live:
                return
            if len(self.steps) >= self.max_steps:
                self.problem = f"the run did not finish within {self.max_steps} steps (a thread that never stops waking up?)"
                return
            ready = [t for t in live if t.timed_out or t.enabled()]
            if not ready:
                timed = [t for t in live if t.deadline is not None]
                if not timed:
                    self.problem = "no thread can go on (a deadlock, or a thread left waiting):\n" + "\n".join(
                        f"  {t.name} waits: it {t.step}" + (f" ({t.blocked_on()})" if t.blocked_on else "") for t in live)
                    return
                first = min(timed, key=lambda t: t.deadline)
                self.clock = max(self.clock, first.deadline)
                first.timed_out = True
                self.steps.append((first.name, f"times out where it {first.step}", ""))
                continue
            if previous in ready:
                ready.remove(previous)
                ready.insert(0, previous)
            chosen = self.choose(ready, previous)
            step = chosen.step
            previous = chosen
            chosen.go.release()
            came_back = self.back.acquire(timeout=self.step_timeout)
            if chosen.notes:
                step += f" ({'; '.join(chosen.notes)})"
                chosen.notes.clear()
            self.steps.append((chosen.name, step, _stopped(chosen) if came_back else "(never came back)"))
            if not came_back:
                self.problem = (f"{chosen.name} ran for {self.step_timeout:g} s without reaching a point the explorer "
                                "controls: it blocks on something made outside the scenario (a lock created at import, "
                                "a thread pool's queue, I/O, a sleep) or loops forever")
                return

    def choose(self, ready: list[_Thread], previous: _Thread | None) -> _Thread:
        if len(ready) == 1:
            return ready[0]
        position = self.prefix[len(self.decisions)] if len(self.decisions) < len(self.prefix) else 0
        preemptive = previous is not None and ready[0] is previous
        self.decisions.append((len(ready), position, preemptive, self.preemptions))
        if preemptive and position > 0:
            self.preemptions += 1
        return ready[position]

    def next_prefix(self) -> list[int] | None:
        """The next sequence of choices to try, depth first; None when all were tried."""
        for index in range(len(self.decisions) - 1, -1, -1):
            options, chosen, preemptive, before = self.decisions[index]
            if chosen + 1 >= options:
                continue
            if preemptive and self.preemption_bound is not None and before + 1 > self.preemption_bound:
                continue
            return [d[1] for d in self.decisions[:index]] + [chosen + 1]
        return None

    def abandon(self) -> list[str]:
        """Make every thread still parked unwind; the names of those that do not end."""
        self.abandoned = True
        for managed in self.threads:
            if not managed.done:
                with contextlib.suppress(RuntimeError):
                    managed.go.release()
        deadline = _monotonic() + self.step_timeout
        for managed in self.threads:
            managed.real.join(max(0.0, deadline - _monotonic()))
        return [m.name for m in self.threads if m.real.is_alive()]


def _stopped(managed: _Thread) -> str:
    """Where a thread stopped after its turn: its next step, or how it ended."""
    if managed.error is not None:
        return f"raises {type(managed.error).__name__}: {managed.error}"
    return "ends" if managed.done else managed.step


_ACTIVE: list[_Run] = []  # the run in progress (at most one)


def _run() -> _Run | None:
    return _ACTIVE[-1] if _ACTIVE else None


def _direct(step: str, enabled: Callable[[], bool] | None, timeout: float | None = None) -> bool:
    """A step taken by the test itself (setup, invariant), not by an explored thread:
    nobody else runs now, so a step that would wait either times out or waits forever."""
    if enabled is not None and not enabled():
        if timeout is not None:
            return False
        raise RuntimeError(f"the test's own thread would wait forever: it {step}")
    return True


def _point(step: str, enabled=None, timeout=None, blocked_on=None) -> bool:
    run = _run()
    return run.point(step, enabled, timeout, blocked_on) if run else _direct(step, enabled, timeout)


def _timeout(blocking: bool, timeout: float | None) -> float | None:
    """threading's (blocking, timeout) as one timeout: None waits, 0 does not."""
    if not blocking:
        return 0.0
    return None if timeout is None or timeout < 0 else timeout


def _note(text: str) -> None:
    """Add `text` to the step the calling explored thread is taking (who a notify woke)."""
    managed = getattr(_local, "managed", None)
    if managed is not None:
        managed.notes.append(text)


def pause(what: str = "pauses") -> None:
    """A point where the explorer may switch threads: hand it to the code under test
    as its simulated I/O (between a read and a write). Outside a scenario it only
    lets other threads run, like course.testing.yield_point."""
    if _run() is not None and getattr(_local, "managed", None) is not None:
        _point(what)
    else:
        yield_point()


def others_running() -> list[str]:
    """Names of the explored threads, other than the caller, that have not finished."""
    run = _run()
    me = getattr(_local, "managed", None)
    return [t.name for t in run.threads if t is not me and not t.done] if run else []


# -- cooperative primitives ---------------------------------------------------------------

def _owner_name(run: _Run | None, ident: int | None) -> str:
    return run.name_of(ident) if run else "another thread"


class Lock:
    """threading.Lock under the explorer: acquire and release are points."""

    _kind = "lock"

    def __init__(self) -> None:
        self._run = _run()
        self.name = self._run.label(self._kind) if self._run else self._kind
        self._owner: int | None = None
        self._count = 0

    def _free(self) -> bool:
        return self._owner is None

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        me = _get_ident()
        if self._count and self._owner == me and self._kind == "rlock":
            self._count += 1
            return True
        _point(f"takes {self.name}", self._free, _timeout(blocking, timeout),
               lambda: f"held by {_owner_name(self._run, self._owner)}")
        if not self._free():
            return False
        self._owner, self._count = me, 1
        return True

    def release(self) -> None:
        if self._owner is None or (self._kind == "rlock" and self._owner != _get_ident()):
            raise RuntimeError(f"release of {self.name}, which this thread does not hold")
        if self._count > 1:
            self._count -= 1
            return
        _point(f"gives back {self.name}")
        self._owner, self._count = None, 0

    def locked(self) -> bool:
        return self._owner is not None

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    # What Condition needs from its lock.
    def _is_owned(self) -> bool:
        return self._owner == _get_ident()

    def _release_save(self) -> int:
        count, self._owner, self._count = self._count, None, 0
        return count

    def _acquire_restore(self, count: int) -> None:
        self._owner, self._count = _get_ident(), count


class RLock(Lock):
    """threading.RLock under the explorer: taking it again in its owner is not a point."""

    _kind = "rlock"


class Condition:
    """threading.Condition under the explorer; notify wakes the longest waiter first."""

    def __init__(self, lock: Lock | None = None) -> None:
        self._run = _run()
        self._lock = lock if lock is not None else RLock()
        self.name = self._run.label("condition") if self._run else "condition"
        self._waiters: list[dict] = []
        self.acquire, self.release = self._lock.acquire, self._lock.release

    def __enter__(self) -> bool:
        return self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()

    def _check_owned(self, what: str) -> None:
        if not self._lock._is_owned():
            raise RuntimeError(f"cannot {what} on un-acquired lock")

    def wait(self, timeout: float | None = None) -> bool:
        self._check_owned("wait")
        _point(f"waits on {self.name}")
        token = {"notified": False, "who": getattr(getattr(_local, "managed", None), "name", "the test")}
        self._waiters.append(token)
        saved = self._lock._release_save()
        woken = _point(f"wakes up from {self.name} and takes its lock back",
                       lambda: token["notified"] and self._lock._free(), timeout,
                       lambda: "not notified yet" if not token["notified"] else
                       f"lock held by {_owner_name(self._run, self._lock._owner)}")
        if not woken:
            if token in self._waiters:
                self._waiters.remove(token)
            if not self._lock._free():  # timed out: it still needs the lock back
                _point(f"takes {self._lock.name} back", self._lock._free)
        self._lock._acquire_restore(saved)
        return woken

    def wait_for(self, predicate: Callable[[], Any], timeout: float | None = None) -> Any:
        run = self._run
        deadline = None if timeout is None or run is None else run.clock + timeout
        result = predicate()
        while not result:
            if deadline is not None:
                remaining = deadline - run.clock
                if remaining <= 0:
                    break
                self.wait(remaining)
            else:
                self.wait()
            result = predicate()
        return result

    def notify(self, n: int = 1) -> None:
        self._check_owned("notify")
        _point(f"notifies {self.name}" if n == 1 else f"notifies {n} waiters of {self.name}")
        self._wake(self._waiters[:n])
        del self._waiters[:n]

    def notify_all(self) -> None:
        self._check_owned("notify")
        _point(f"notifies all waiters of {self.name}")
        self._wake(self._waiters)
        self._waiters.clear()

    @staticmethod
    def _wake(tokens: list[dict]) -> None:
        for token in tokens:
            token["notified"] = True
        _note("wakes " + (", ".join(token["who"] for token in tokens) or "nobody"))


class Semaphore:
    """threading.Semaphore under the explorer."""

    _kind = "semaphore"

    def __init__(self, value: int = 1) -> None:
        if value < 0:
            raise ValueError("semaphore initial value must be >= 0")
        self._run = _run()
        self.name = self._run.label(self._kind) if self._run else self._kind
        self._value = self._initial = value

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        _point(f"takes a permit of {self.name}", lambda: self._value > 0, _timeout(blocking, timeout),
               lambda: "no permit left")
        if self._value <= 0:
            return False
        self._value -= 1
        return True

    def release(self, n: int = 1) -> None:
        _point(f"gives back a permit of {self.name}")
        if self._kind == "bounded semaphore" and self._value + n > self._initial:
            raise ValueError("Semaphore released too many times")
        self._value += n

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


class BoundedSemaphore(Semaphore):
    _kind = "bounded semaphore"


class Event:
    """threading.Event under the explorer."""

    def __init__(self) -> None:
        self._run = _run()
        self.name = self._run.label("event") if self._run else "event"
        self._flag = False

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        _point(f"sets {self.name}")
        self._flag = True

    def clear(self) -> None:
        _point(f"clears {self.name}")
        self._flag = False

    def wait(self, timeout: float | None = None) -> bool:
        _point(f"waits for {self.name}", lambda: self._flag, timeout, lambda: "not set")
        return self._flag


class Barrier:
    """threading.Barrier under the explorer: the last thread in runs the action."""

    def __init__(self, parties: int, action: Callable[[], Any] | None = None, timeout: float | None = None) -> None:
        if parties < 1:
            raise ValueError("parties must be >= 1")
        self._run = _run()
        self.name = self._run.label("barrier") if self._run else "barrier"
        self.parties, self._action, self._timeout = parties, action, timeout
        self._count = 0
        self._generation = 0
        self._broken = False
        self._reset_generations: set[int] = set()

    @property
    def n_waiting(self) -> int:
        return self._count

    @property
    def broken(self) -> bool:
        return self._broken

    def wait(self, timeout: float | None = None) -> int:
        _point(f"arrives at {self.name}")
        if self._broken:
            raise threading.BrokenBarrierError
        index, generation = self._count, self._generation
        self._count += 1
        if self._count == self.parties:
            try:
                if self._action:
                    self._action()
            except BaseException:
                self._break()
                raise
            self._count, self._generation = 0, self._generation + 1
            return index
        waited = _point(f"leaves {self.name}", lambda: self._generation != generation or self._broken,
                        timeout if timeout is not None else self._timeout,
                        lambda: f"{self._count} of {self.parties} threads arrived")
        if generation in self._reset_generations or (self._generation == generation and (self._broken or not waited)):
            if not waited:
                self._break()
            raise threading.BrokenBarrierError
        return index

    def _break(self) -> None:
        self._broken, self._count = True, 0

    def abort(self) -> None:
        _point(f"aborts {self.name}")
        self._break()

    def reset(self) -> None:
        _point(f"resets {self.name}")
        if self._count:
            self._reset_generations.add(self._generation)
            self._generation += 1
        self._count, self._broken = 0, False


class Thread(_RealThread):
    """threading.Thread under the explorer: start and join are points, and the new
    thread runs only when the explorer gives it a turn."""

    def start(self) -> None:
        run = _run()
        if run is None:
            super().start()
            return
        _point(f"starts {self.name}")
        managed = run.add_thread(self.name, super().run)
        self._explored = managed
        self._started.set()  # the real thread is managed.real; join() and is_alive() look there

    def join(self, timeout: float | None = None) -> None:
        managed = getattr(self, "_explored", None)
        if managed is None:
            super().join(timeout)
            return
        _point(f"waits for {self.name} to end", lambda: managed.done, timeout, lambda: f"{self.name} still runs")
        if managed.done:
            managed.real.join()

    def is_alive(self) -> bool:
        managed = getattr(self, "_explored", None)
        return super().is_alive() if managed is None else not managed.done


_COOPERATIVE = {"Lock": Lock, "RLock": RLock, "Condition": Condition, "Semaphore": Semaphore,
                "BoundedSemaphore": BoundedSemaphore, "Event": Event, "Barrier": Barrier, "Thread": Thread}


class _StandIn(ModuleType):
    """`threading` as the code under test sees it during a scenario: the cooperative
    classes, and the real module for everything else (get_ident, BrokenBarrierError...)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(threading, name)


_STAND_IN = _StandIn("threading")
vars(_STAND_IN).update(_COOPERATIVE)


# Locks made when the module was imported (one lock for all accounts) are real ones: while
# a scenario runs, a free one is stood in for by a cooperative lock, in the module's
# globals and its classes' attributes.
_LOCK_TYPES = {type(_REAL["Lock"]()): Lock, type(_REAL["RLock"]()): RLock}


def _stand_in_for(value: Any) -> Any:
    """The cooperative object `value` is replaced by during a scenario, or None."""
    if value is threading:
        return _STAND_IN
    for name, real in _REAL.items():
        if value is real:
            return _COOPERATIVE[name]
    kind = _LOCK_TYPES.get(type(value))
    if kind is Lock and value.locked():
        return None  # held by someone outside the scenario: leave it alone
    return kind() if kind is not None else None


@contextlib.contextmanager
def _cooperative(modules: Sequence[ModuleType]) -> Iterator[None]:
    """In each of `modules`, `threading`, the names bound to its classes (`from
    threading import Lock`) and the locks made at import point to cooperative
    versions; all put back afterwards. The real `threading` module, and every other
    module, stays as it was."""
    replaced: list[tuple[Any, str, Any]] = []
    namespaces = []
    for module in modules:
        namespaces.append(module)
        namespaces += [value for value in vars(module).values()
                       if isinstance(value, type) and value.__module__ == module.__name__]
    try:
        for owner in namespaces:
            for key, value in list(vars(owner).items()):
                stand_in = _stand_in_for(value)
                if stand_in is not None:
                    replaced.append((owner, key, value))
                    setattr(owner, key, stand_in)
        yield
    finally:
        for owner, key, value in reversed(replaced):
            setattr(owner, key, value)


# -- the exploration ------------------------------------------------------------------------

@dataclass
class Exploration:
    """What `explore` did: how many schedules it ran, all of them passing."""

    schedules: int
    longest: int
    preemption_bound: int | None


def _label(worker: Worker | tuple[str, Worker], index: int) -> tuple[str, Worker]:
    if isinstance(worker, tuple):
        return f"thread {index} ({worker[0]})", worker[1]
    return f"thread {index}", worker


def explore(setup: Callable[[], Any], workers: Sequence[Worker | tuple[str, Worker]],
            invariant: Callable[[Any], Any] | None = None, *, modules: Sequence[ModuleType] = (),
            preemption_bound: int | None = None, max_schedules: int = 5000, max_steps: int = 300,
            step_timeout: float = 5.0, title: str = "the scenario") -> Exploration:
    """Run `workers` (each called with `setup()`'s state, one thread each; a worker may be
    a `(what it does, function)` pair) under every schedule, then `invariant(state)`.

    A schedule fails when a thread raises, when no thread can go on (a deadlock, or a
    thread left waiting), when a step never comes back, or when `invariant` raises
    AssertionError or returns False. The first failing schedule raises
    ExplorationError listing its steps; otherwise this returns how many schedules ran.
    `preemption_bound` limits how often a run switches away from a thread that could
    go on (None: no limit, every schedule). More than `max_schedules` schedules is a
    failure: the scenario (or the code's number of steps) is too large to prove.
    `modules` (the code under test) get the cooperative `threading` for the scenario.
    A thread that runs `step_timeout` seconds without reaching a point fails the run:
    it blocks on something the explorer does not control, or loops forever.
    """
    labelled = [_label(worker, index) for index, worker in enumerate(workers, start=1)]
    prefix: list[int] | None = []
    schedules = longest = 0
    with _cooperative(modules):
        while prefix is not None:
            run = _Run(prefix, max_steps, step_timeout, preemption_bound)
            schedules += 1
            _ACTIVE.append(run)
            try:
                state = setup()
                for name, work in labelled:
                    run.add_thread(name, lambda work=work: work(state))
                run.schedule()
            finally:
                stuck = run.abandon()
                _ACTIVE.pop()
            longest = max(longest, len(run.steps))
            failure = run.problem or _thread_errors(run) or _broken(invariant, state)
            if failure or stuck:
                if stuck:
                    failure += f"\n(threads that never ended: {', '.join(stuck)})"
                raise ExplorationError(_report(title, schedules, run, failure), run.steps)
            prefix = run.next_prefix()
            if prefix is not None and schedules >= max_schedules:
                raise ExplorationError(
                    f"{title}: more than {max_schedules} schedules; every one tried so far held, but the "
                    "scenario is too large to check them all (does the code take more locks or steps than needed?)")
    return Exploration(schedules, longest, preemption_bound)


def _thread_errors(run: _Run) -> str:
    failed = [t for t in run.threads if t.error is not None]
    return "; ".join(f"{t.name} raised {type(t.error).__name__}: {t.error}" for t in failed)


def _broken(invariant: Callable[[Any], Any] | None, state: Any) -> str:
    if invariant is None:
        return ""
    try:
        verdict = invariant(state)
    except AssertionError as error:
        return str(error) or "the invariant does not hold"
    return "the invariant does not hold" if verdict is False else ""


MAX_REPORTED_STEPS = 80


def _report(title: str, schedules: int, run: _Run, failure: str) -> str:
    steps = run.steps
    bound = "" if run.preemption_bound is None else f", of those with at most {run.preemption_bound} preemptions"
    lines = [f"{title} fails in schedule {schedules}{bound} (the {schedules - 1} before it held). "
             "Each step: which thread went on, and where it stopped next:"]
    half = MAX_REPORTED_STEPS // 2
    numbered = list(enumerate(steps, start=1))
    shown = numbered if len(numbered) <= MAX_REPORTED_STEPS else numbered[:half] + [(0, None)] + numbered[-half:]
    for number, step in shown:
        if step is None:
            lines.append("      ...")
        else:
            name, took, stopped = step
            lines.append(f"  {number:>2}. {name} {took}" + (f"; next it {stopped}" if stopped else ""))
    lines.append(f"then: {failure}")
    return "\n".join(lines)


def timeline_of(steps: Sequence[tuple[str, ...]]):
    """The steps of a schedule as a course.tracing.Timeline: one lane per thread, step i
    drawn from i to i + 1 (plot it with course.tracing.plot_timeline)."""
    from course.tracing import Timeline

    timeline = Timeline()
    timeline.origin = 0.0
    for number, (name, step, *_) in enumerate(steps):
        timeline.add(name, step.split(" ", 1)[0], number, number + 1)
    return timeline
