"""Helpers that make concurrency bugs show up in tests instead of hiding.

CPython 3.11 checks for a thread switch only at calls and backward jumps, so a
lost update in `x += 1` almost never happens on its own; a blocked event loop
or a pool that runs serially still returns the right answer. Each helper here
turns one of those silent bugs into a deterministic failure:

- `provoke_races()` and `yield_point()`: a tiny switch interval plus a call that
  gives the scheduler a chance to switch between a read and a write.
- `Overlap`: proves parallelism by observing how many workers were inside a
  region at once (and which threads ran it), never by timing a speedup.
- `run_async()`: runs a coroutine with a loop-lag watchdog and fails, naming the
  coroutine, when something blocked the event loop.
- `wait_until()`: polling with a deadline, for the rare case with no event to wait on.
"""

from __future__ import annotations

import asyncio
import contextlib
import linecache
import logging
import os
import sys
import threading
import time
from typing import Awaitable, Callable, Iterator, TypeVar

from course.testing.stacks import qualified_name, thread_stacks

T = TypeVar("T")

TINY_SWITCH_INTERVAL = 1e-6
# Bound when the tests import this module, before any student code runs: code
# under test that replaces time.sleep cannot silence the yield points.
_sleep = time.sleep
_setswitchinterval = sys.setswitchinterval


@contextlib.contextmanager
def provoke_races(interval: float = TINY_SWITCH_INTERVAL) -> Iterator[None]:
    """Ask the interpreter to switch threads as often as it can, then restore it."""
    previous = sys.getswitchinterval()
    _setswitchinterval(interval)
    try:
        yield
    finally:
        _setswitchinterval(previous)


def yield_point() -> None:
    """A simulated I/O call: releases the GIL so another thread can run now.

    Hand this to the code under test between a read and a write of shared
    state; unprotected code then loses updates every time, not once a week.
    """
    _sleep(0)


class YieldingIO:
    """An `io` callable to hand the code under test: a simulated disk or network round
    trip that lets other threads run (`yield_point`) and counts, in `probe` (an
    Overlap), how many callers were inside it at once. Code that calls it between a
    read and a write of shared state shows a missing lock as `probe.max_inside > 1`,
    whether or not an update happened to be lost."""

    def __init__(self) -> None:
        self.probe = Overlap()

    def __call__(self) -> None:
        with self.probe.region():
            yield_point()


PLAIN_TYPES = (bool, int, float, complex, str, bytes, type(None))


def plain(value: T) -> T:
    """Return `value` if it is plain data, else fail naming its real type.

    A value whose class overrides `__eq__` to return True for everything would
    pass any `==` assertion; the tests compare only plain ints, floats, strings
    and containers of them. Use it on what the code under test returns:
    `assert plain(counter.value) == 4000`.
    """
    kind = type(value)
    if kind in (list, tuple, set, frozenset):
        for element in value:
            plain(element)
    elif kind is dict:
        for key, element in value.items():
            plain(key)
            plain(element)
    elif kind not in PLAIN_TYPES:
        from course.testing.remote import Remote

        name = f"{kind.__module__}.{kind.__qualname__}" if kind is not Remote else object.__getattribute__(value, "_name")
        raise AssertionError(f"expected plain data (int, float, str, list ...), got a {name}: {value!r}")
    return value


def assert_rejected(description, call):
    """`call()` must raise ValueError; fail naming what it did instead (a graded test's
    message says what was called and what came back)."""
    import pytest  # only graded tests call this; labs and the book import this module too

    try:
        got = call()
    except ValueError:
        return
    except Exception as error:  # the wrong kind of error: name it
        pytest.fail(f"{description} raised {type(error).__name__}: {error}; expected ValueError", pytrace=False)
    pytest.fail(f"{description} returned {got!r}; expected ValueError", pytrace=False)


def wait_until(predicate: Callable[[], T], timeout: float, message: str = "", interval: float = 0.002) -> T:
    """Poll `predicate` until it returns something truthy or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(message or f"condition not met within {timeout} s")
        time.sleep(interval)


class Overlap:
    """Counts how many threads are inside a region at the same moment.

    `with probe.region():` marks the work. With `hold_until=n`, a worker that
    enters waits (up to `hold_timeout`) until n workers are inside together,
    so a correct parallel implementation reaches n quickly and a serial one
    never does: the proof is `probe.max_inside`, not a stopwatch.
    """

    def __init__(self, hold_until: int = 0, hold_timeout: float = 2.0):
        self.hold_until = hold_until
        self.hold_timeout = hold_timeout
        self.inside = 0
        self.max_inside = 0
        self.entries = 0
        self.threads: set[int] = set()
        self.pids: set[int] = set()
        self._changed = threading.Condition()

    @contextlib.contextmanager
    def region(self) -> Iterator[None]:
        with self._changed:
            self.inside += 1
            self.entries += 1
            self.max_inside = max(self.max_inside, self.inside)
            self.threads.add(threading.get_ident())
            self.pids.add(os.getpid())
            self._changed.notify_all()
            if self.hold_until:
                self._changed.wait_for(
                    lambda: self.max_inside >= self.hold_until, timeout=self.hold_timeout
                )
        try:
            yield
        finally:
            with self._changed:
                self.inside -= 1
                self._changed.notify_all()

    def wait_for_inside(self, count: int, timeout: float) -> bool:
        """Block until `count` workers are inside at once; False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self.inside >= count, timeout=timeout)


class EventLoopBlocked(AssertionError):
    """A coroutine ran for too long without awaiting: every other task stalled."""


# Frames of these files are the machinery around a blocking call, never its cause.
_MACHINERY = tuple(
    os.path.join(os.path.dirname(module.__file__), "")
    for module in (asyncio, logging)
) + (os.path.dirname(os.__file__) + os.sep, os.path.join(os.path.dirname(__file__), ""))


def _is_machinery(filename: str) -> bool:
    """The standard library, asyncio and this module; anything else is the code under test."""
    return filename.startswith(_MACHINERY) and "site-packages" not in filename


class _LoopWatchdog:
    """A thread that notices the loop not answering and looks at what it runs instead.

    Every `period` it posts a callback into the loop with `call_soon_threadsafe`;
    the callback can only run between two steps of the loop. While it stays
    unanswered, the watchdog samples the loop thread's stack: if the innermost
    frames are the code under test (not the selector waiting for I/O, which is
    just a busy machine not scheduling us), that code is what holds the loop.
    The stall is reported only when it lasted at least `max_lag`.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, max_lag: float) -> None:
        self.loop, self.max_lag = loop, max_lag
        self.period = max_lag / 4
        self.loop_thread = threading.get_ident()
        self.stalls: list[tuple[float, str]] = []
        self._answered = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="course-loop-watchdog", daemon=True)

    def __enter__(self) -> "_LoopWatchdog":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.is_set():
            self._answered.clear()
            posted = time.monotonic()
            try:
                self.loop.call_soon_threadsafe(self._answered.set)
            except RuntimeError:  # the loop is closed: nothing left to watch
                return
            seen: list[str] = []  # every culprit sampled during this stall, in order
            while not self._answered.wait(self.period) and not self._stop.is_set():
                where = self._culprit()
                if where and where not in seen:
                    seen.append(where)
            lag = time.monotonic() - posted
            if seen and lag >= self.max_lag:
                self.stalls.append((lag, "\n".join(seen)))
            self._stop.wait(self.period)

    def _culprit(self) -> str:
        """Plain words for the code the loop thread is running now ('' if only the loop's own).

        The chain runs from the innermost frame of the code under test out to the
        task's coroutine; the loop's machinery below it (Task.__step, the runner)
        and the library frames above it (threading.Event.wait) are left out.
        """
        chain = []
        for frame in thread_stacks().get(self.loop_thread, []):  # as text: see course.testing.stacks
            if not _is_machinery(frame[0]):
                chain.append((frame[0], frame[1], qualified_name(frame)))
            elif chain and frame[0].startswith(_MACHINERY[0]):
                break  # reached the asyncio step that ran this coroutine
        if not chain:
            return ""
        task = asyncio.tasks._current_tasks.get(self.loop)
        name = f" (task {task.get_name()})" if task is not None else ""
        lines = [f"{chain[-1][2]}(){name} held the loop"]
        for number, (filename, lineno, function) in enumerate(chain):
            source = linecache.getline(filename, lineno).strip()
            how = "blocked at" if number == 0 else "called from"
            lines.append(f"  {how} {filename}, line {lineno}, in {function}(): {source}")
        return "\n".join(lines)


def _virtual_clock_loop() -> asyncio.AbstractEventLoop:
    """An event loop whose clock jumps ahead whenever nothing is ready to run.

    `loop.time()` starts at 0 and moves only when every task waits for a timer:
    the loop then jumps straight to the next timer instead of waiting for it.
    `asyncio.sleep(60)` returns at once and `loop.time()` says 60 later, so
    time-dependent logic (rate limits, timeouts) is tested exactly and fast,
    never against real sleeps. I/O and other threads still wake it as usual.
    """
    loop = asyncio.SelectorEventLoop()
    now = [0.0]
    real_select = loop._selector.select

    def select(timeout=None):
        ready = real_select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:  # no timer at all: only I/O or another thread can wake us
            return real_select(None)
        now[0] += timeout
        return ready

    loop._selector.select = select
    loop.time = lambda: now[0]
    return loop


def run_async(
    main: Callable[[], Awaitable[T]], *, max_lag: float = 0.1, timeout: float = 10.0, virtual_clock: bool = False
) -> T:
    """Run `main()` on a fresh event loop; fail if any step blocked the loop.

    A watchdog thread notices a loop that stops answering and names the
    coroutine that held it and the line it was on, for EventLoopBlocked's
    message; a blocked loop is reported even when `main()` then failed or
    timed out, since the blocking is usually why. (asyncio's debug mode, whose
    slow-callback log names only the task, stays off: it records a stack for
    every task it creates with sys._getframe, which the grader refuses to the
    code under test.) The whole run is bounded by `timeout` so a coroutine
    that never finishes fails instead of hanging. With `virtual_clock`, the
    loop's clock jumps to the next timer when nothing else can run (see
    `_virtual_clock_loop`): `timeout` is then counted on that clock.
    """
    watchdog = None

    async def bounded() -> T:
        nonlocal watchdog
        with _LoopWatchdog(asyncio.get_running_loop(), max_lag) as watchdog:
            return await asyncio.wait_for(main(), timeout)

    failure: BaseException | None = None
    try:
        with asyncio.Runner(loop_factory=_virtual_clock_loop if virtual_clock else None) as runner:
            return runner.run(bounded())
    except BaseException as error:
        failure = error
        raise
    finally:
        if watchdog is not None and watchdog.stalls:
            found = [f"for {lag:.2f} s: {where}" for lag, where in watchdog.stalls]
            raise EventLoopBlocked(
                "the event loop was blocked: a coroutine made a blocking call (or computed for long) "
                "without awaiting, so no other task could run meanwhile. Await instead "
                "(asyncio.sleep, an async API) or move the blocking call to a thread "
                "(await asyncio.to_thread(...)).\n" + "\n".join(found)
            ) from failure
