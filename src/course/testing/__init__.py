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
import logging
import os
import sys
import threading
import time
from typing import Awaitable, Callable, Iterator, TypeVar

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
        raise AssertionError(f"expected plain data (int, float, str, list ...), got a {kind.__module__}.{kind.__qualname__}: {value!r}")
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


class _SlowCallbackLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.reports: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Executing"):
            self.reports.append(message)


def run_async(main: Callable[[], Awaitable[T]], *, max_lag: float = 0.1, timeout: float = 10.0) -> T:
    """Run `main()` on a fresh event loop; fail if any step blocked the loop.

    asyncio's debug mode reports every callback that ran longer than
    `slow_callback_duration`, naming the task and the line it was running;
    that report becomes the assertion message. The whole run is bounded by
    `timeout` so a coroutine that never finishes fails instead of hanging.
    """
    log = _SlowCallbackLog()
    logger = logging.getLogger("asyncio")
    logger.addHandler(log)

    async def bounded() -> T:
        asyncio.get_running_loop().slow_callback_duration = max_lag
        return await asyncio.wait_for(main(), timeout)

    try:
        result = asyncio.run(bounded(), debug=True)
    finally:
        logger.removeHandler(log)
    if log.reports:
        raise EventLoopBlocked(
            "the event loop was blocked (a blocking call inside a coroutine; "
            "use await, asyncio.sleep or asyncio.to_thread):\n" + "\n".join(log.reports)
        )
    return result
