"""Graded tests for exercises/ch06_celery/backoff_retry.py.

The delays are checked without waiting for them: the task gets a recording
random source whose `uniform(a, b)` returns `a` (0 s), so every retry runs at
once while the test still sees each bound the task asked for. A real worker
(two threads) on the configured broker runs the retries; the fake service
counts its calls.
"""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course.testing import assert_rejected, plain
from course.testing.celery import TaskRuns, isolated_app, running_worker

RESULT_TIMEOUT = 20.0
MODEL = settings(derandomize=True, max_examples=60, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


class Draws:
    """A random source that records each uniform(a, b) and returns a chosen point of it."""

    def __init__(self, at: float = 0.0):
        self.at = at
        self.bounds: list[tuple[float, float]] = []

    def uniform(self, a, b):
        self.bounds.append((a, b))
        return a + (b - a) * self.at


class Flaky:
    """Fails with the given errors in turn, then returns f"value of {key}"."""

    def __init__(self, *errors):
        self.errors = list(errors)
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, key):
        with self._lock:
            self.calls.append(key)
            if self.errors:
                error = self.errors.pop(0)
                raise error
        return f"value of {key}"


class Always(Flaky):
    """Fails with a fresh ConnectionError each time, for the first 10 calls (a task that
    never stops retrying then ends instead of hanging the test)."""

    def __call__(self, key):
        with self._lock:
            self.calls.append(key)
            if len(self.calls) > 10:
                return "recovered after 10 failures"
        raise ConnectionError(f"call {len(self.calls)} failed")


def run(exercise, service, **options):
    """(outcome, state, bounds drawn): outcome is ("ok", value) or ("error", type name, message)."""
    draws = options.pop("rng", None) or Draws()
    with isolated_app() as app, TaskRuns() as runs:
        fetch = exercise.register(app, service, rng=draws, **options)
        with running_worker(app):
            result = fetch.delay("k1")
            state, value = runs.outcome(result.id, RESULT_TIMEOUT, "fetch('k1')")
    if state == "SUCCESS":
        return ("ok", plain(value)), state, draws.bounds
    return ("error", type(value).__name__, str(value)), state, draws.bounds


# --------------------------------------------------------------------------- the delay


@pytest.mark.task("delay")
@MODEL
@given(retries=st.integers(0, 40), base=st.floats(0.001, 5), factor=st.floats(1, 1000), at=st.floats(0, 1))
def test_the_delay_is_one_uniform_draw_below_the_capped_exponential(exercise, retries, base, factor, at):
    cap = base * factor
    draws = Draws(at)
    got = exercise.backoff_delay(retries, base, cap, draws)
    bound = min(cap, base * 2 ** retries)
    assert draws.bounds == [(0, bound)], (
        f"backoff_delay({retries}, {base}, {cap}) drew uniform{draws.bounds}; expected one draw uniform(0, {bound})"
    )
    assert got == bound * at, f"backoff_delay returned {got}, not the value drawn ({bound * at})"


@pytest.mark.task("delay")
def test_the_delay_doubles_until_the_cap(exercise):
    bounds = []
    for retries in range(6):
        draws = Draws(1.0)
        bounds.append(exercise.backoff_delay(retries, 0.5, 4.0, draws))
    assert bounds == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0], f"the largest delays for retries 0..5 (base 0.5, cap 4) were {bounds}"


@pytest.mark.task("delay")
def test_bad_arguments_are_rejected(exercise):
    for args in [(-1, 1.0, 2.0), (0, 0.0, 1.0), (0, -1.0, 1.0), (2, 1.0, 0.5)]:
        assert_rejected(f"backoff_delay{args}", lambda: exercise.backoff_delay(*args, Draws()))
    assert exercise.backoff_delay(0, 1.0, 1.0, Draws(1.0)) == 1.0, "cap == base is allowed"


# --------------------------------------------------------------------------- retries


@pytest.mark.task("transient_retried")
def test_transient_errors_are_retried_with_growing_capped_delays(exercise):
    service = Flaky(ConnectionError("reset"), TimeoutError("slow"), ConnectionError("refused"))
    outcome, state, bounds = run(exercise, service, base=0.01, cap=0.03, max_retries=5)
    assert outcome == ("ok", "value of k1"), f"fetch('k1') over a service failing 3 times gave {outcome}"
    assert service.calls == ["k1"] * 4, f"the service was called {len(service.calls)} times, expected 4"
    assert bounds == [(0, 0.01), (0, 0.02), (0, 0.03)], (
        f"the retries drew their delays from {bounds}; expected uniform(0, min(cap, base * 2 ** retries)) "
        "for retries 0, 1, 2 with base 0.01, cap 0.03"
    )
    assert state == "SUCCESS"


@pytest.mark.task("transient_retried")
def test_a_service_that_works_is_called_once_without_delay(exercise):
    service = Flaky()
    outcome, state, bounds = run(exercise, service)
    assert outcome == ("ok", "value of k1") and service.calls == ["k1"] and bounds == [], (
        f"fetch('k1') on a working service: {outcome}, {len(service.calls)} call(s), delays drawn {bounds}"
    )


@pytest.mark.task("permanent_not_retried")
@pytest.mark.parametrize("error", [ValueError("bad key"), KeyError("k1"), PermissionError("denied")])
def test_any_other_error_fails_at_once(exercise, error):
    service = Flaky(error)
    outcome, state, bounds = run(exercise, service, base=0.01, cap=0.05)
    assert service.calls == ["k1"], f"a {type(error).__name__} was retried: {len(service.calls)} calls"
    assert outcome[:2] == ("error", type(error).__name__), f"the task ended with {outcome}, expected the {type(error).__name__}"
    assert state == "FAILURE" and bounds == [], f"state {state}, delays drawn {bounds}"


@pytest.mark.task("limited")
@pytest.mark.parametrize("max_retries", [0, 3])
def test_retries_stop_after_max_retries_with_the_last_error(exercise, max_retries):
    service = Always()
    outcome, state, bounds = run(exercise, service, base=0.01, cap=0.02, max_retries=max_retries)
    calls = len(service.calls)
    assert calls == max_retries + 1, f"max_retries={max_retries}: the service was called {calls} times, expected {max_retries + 1}"
    assert outcome == ("error", "ConnectionError", f"call {calls} failed"), (
        f"after the last retry the task ended with {outcome}; expected the last ConnectionError itself"
    )
    assert state == "FAILURE" and bounds == [(0, min(0.02, 0.01 * 2 ** n)) for n in range(max_retries)], (
        f"state {state}, delays drawn {bounds}"
    )


@pytest.mark.task("limited")
def test_the_defaults_are_base_0_05_cap_2_and_5_retries(exercise):
    service = Always()
    outcome, state, bounds = run(exercise, service)
    assert len(service.calls) == 6, f"with the default max_retries (5) the service was called {len(service.calls)} times"
    assert bounds == [(0, 0.05), (0, 0.1), (0, 0.2), (0, 0.4), (0, 0.8)], f"default base 0.05 s: delays drawn {bounds}"
    assert outcome == ("error", "ConnectionError", "call 6 failed"), f"the task ended with {outcome}"


@pytest.mark.task("delay")
def test_the_default_cap_is_2_seconds(exercise):
    draws = Draws()
    outcome, state, bounds = run(exercise, Always(), base=1.0, rng=draws)
    assert outcome[:2] == ("error", "ConnectionError"), f"the task ended with {outcome}"
    assert bounds == [(0, 1.0), (0, 2.0), (0, 2.0), (0, 2.0), (0, 2.0)], f"base 1 s, default cap: delays drawn {bounds}"
