"""Pacing of a confined test run: a hang costs its own test, not the whole exercise.

A pytest plugin the grading child loads (course.grading.child), with two rules:

- A task whose test failed by a hang (pytest-timeout fired, or the test left
  threads it started still running after its teardown: a deadlock) is failed;
  its tests in later repeats are not run again, each fails at once saying why.
  Repeats exist to catch bugs that show up only sometimes; sitting through the
  same deadlock three times only made a learner wait (79 s for a lock-order bug).
- Each test gets its own share of the exercise's wall clock: its timeout is
  the test timeout, cut so that every test after it keeps a reserve, but never
  below an equal share of the whole budget. Without this one hang at the full
  test timeout (or a few, over parametrised backends) used up the whole
  exercise's time and every later test, in every task, had no result.

COURSE_STOP_AT_FIRST_FAILURE=1 (set by `course mutate`, whose only question is
whether a mutant loses any point) ends the run at the first failed test; the
tests not run then have no result and count as failed.

COURSE_PACING=off turns both rules off (every repeat of every test runs, at the
full test timeout): for measuring, or to prove a variant fails in every repeat.
"""

from __future__ import annotations

import os
import threading
import time

import pytest

REPEAT_PARAM = "course_repeat"  # the parameter course.grading.channel repeats tests with
MIN_RESERVE_SECONDS = 0.25  # kept back for each later test before any test has passed
RESERVE_FACTOR = 1.5  # later tests are expected to take this many times the mean passed test
END_MARGIN_SECONDS = 3.0  # session teardown, the last records, the sandbox's stack dump


def _task(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("task")
    return str(marker.args[0]) if marker and marker.args else None


def _repeat(item: pytest.Item) -> int:
    callspec = getattr(item, "callspec", None)
    return int(callspec.params.get(REPEAT_PARAM, 0)) if callspec else 0


def share_timeout(own: float, left: float, after: int, reserve: float, equal_share: float) -> float:
    """A test's timeout: its own, but leaving `reserve` (at most an equal share) to each
    of the `after` tests still to come, and never less than an equal share."""
    return min(own, max(equal_share, left - min(equal_share, reserve) * after))


def reserve_for(passed_durations: list[float]) -> float:
    """What a later test is expected to need: the mean of the tests that passed so far
    (hangs fail, so they never count), so an exercise of many quick tests does not
    starve its first ones, and one of a few slow backends keeps room for them."""
    if not passed_durations:
        return MIN_RESERVE_SECONDS
    return max(MIN_RESERVE_SECONDS, RESERVE_FACTOR * sum(passed_durations) / len(passed_durations))


class Pacing:
    def __init__(self, budget: float | None = None):
        self._deadline = time.monotonic() + budget - END_MARGIN_SECONDS if budget else None
        self._budget = budget
        self._position: dict[str, int] = {}
        self._hung: dict[str, tuple[int, str]] = {}  # task -> (repeat, test) where it hung
        self._threads_before: dict[str, set[threading.Thread]] = {}
        self._failed: dict[str, bool] = {}
        self._timed_out: set[str] = set()
        self._total = 0
        self._passed: list[float] = []  # durations of the tests that passed
        self._durations: dict[str, float] = {}
        self._session: pytest.Session | None = None
        self._stop_at_first_failure = os.environ.get("COURSE_STOP_AT_FIRST_FAILURE") == "1"

    def pytest_configure(self, config: pytest.Config) -> None:
        if os.environ.get("COURSE_PACING", "on") == "off":
            config.pluginmanager.unregister(self)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._position = {item.nodeid: index for index, item in enumerate(session.items)}
        self._total = len(session.items)
        self._session = session

    @pytest.hookimpl(tryfirst=True, hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem):
        """Before pytest-timeout reads the item's timeout, cut it to the item's share."""
        if self._deadline is not None and self._total:
            own = _own_timeout(item)
            if own:
                after = self._total - self._position.get(item.nodeid, 0) - 1
                equal = max(0.5, (self._budget - END_MARGIN_SECONDS) / self._total)
                limit = share_timeout(own, self._deadline - time.monotonic(), after, reserve_for(self._passed), equal)
                if limit < own:
                    item.add_marker(pytest.mark.timeout(round(limit, 2)), append=False)
        self._threads_before[item.nodeid] = set(threading.enumerate())
        yield
        before = self._threads_before.pop(item.nodeid, set())
        stuck = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        task = _task(item)
        hung = item.nodeid in self._timed_out or (self._failed.get(item.nodeid) and stuck)
        if task is not None and hung and task not in self._hung:
            self._hung[task] = (_repeat(item), item.name)
        self._failed.pop(item.nodeid, None)
        self._timed_out.discard(item.nodeid)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        task = _task(item)
        if task in self._hung and _repeat(item) > self._hung[task][0]:
            repeat, test = self._hung[task]
            pytest.fail(f"not run again: task {task!r} already failed by a hang or timeout in repeat {repeat + 1} "
                        f"({test}); a failed task stays failed, repeats only look for bugs that show up sometimes",
                        pytrace=False)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._durations[report.nodeid] = self._durations.get(report.nodeid, 0.0) + report.duration
        if report.when == "teardown":
            total = self._durations.pop(report.nodeid)
            if not self._failed.get(report.nodeid) and not report.failed:
                self._passed.append(total)
        if report.failed:
            self._failed[report.nodeid] = True
            if self._stop_at_first_failure and self._session is not None:
                self._session.shouldstop = "a test failed: the verdict is known"
            crash = getattr(report.longrepr, "reprcrash", None)
            if "Timeout" in (crash.message if crash is not None else str(report.longrepr)[-2000:]):
                self._timed_out.add(report.nodeid)


def _own_timeout(item: pytest.Item) -> float | None:
    marker = item.get_closest_marker("timeout")
    if marker is not None:
        value = marker.args[0] if marker.args else marker.kwargs.get("timeout")
        return float(value) if value else None
    value = item.config.getoption("timeout", None)
    return float(value) if value else None
