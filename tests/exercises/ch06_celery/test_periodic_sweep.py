"""Graded tests for exercises/ch06_celery/periodic_sweep.py.

Beat is tested without waiting minutes: the schedule's period is an argument,
so a real beat (in a thread of this process, Celery's in-memory scheduler)
sends the sweep every 0.2 s and the test waits, with a deadline, for runs
that Celery's own signals report. The schedule itself is read as beat reads
it (celery.schedules.maybe_schedule), so a duplicate entry shows whatever its
name. Overlapping runs are forced: the first run's handler is held inside
until the second run has come and gone.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from celery.beat import EmbeddedService
from celery.schedules import maybe_schedule

from course.testing import plain
from course.testing.celery import SharedStore, TaskRuns, finished, isolated_app, running_worker

WAIT = 10.0


class Store(SharedStore):
    """The shared store, and the keys that have expired."""

    def __init__(self, expired=()):
        super().__init__({key: "expired" for key in expired})

    def expired(self):
        return sorted(key for key, value in dict(self.data).items() if value == "expired")


class Handler:
    """Records handled keys; can hold the first call inside, or fail once."""

    def __init__(self, hold=False, fail_on=None):
        self.handled: list[str] = []
        self.inside = threading.Event()
        self.gate = threading.Event()
        if not hold:
            self.gate.set()
        self.fail_on = fail_on
        self._lock = threading.Lock()

    def __call__(self, key):
        self.inside.set()
        if not self.gate.wait(WAIT):
            raise AssertionError("the test never released the handler")
        if key == self.fail_on:
            self.fail_on = None
            raise RuntimeError(f"could not handle {key}")
        with self._lock:
            self.handled.append(key)


def entries_for(app, task):
    """(name, period in seconds) of every beat entry that sends `task`."""
    found = []
    for name, entry in (app.conf.beat_schedule or {}).items():
        if entry["task"] == task.name:
            found.append((name, maybe_schedule(entry["schedule"]).run_every.total_seconds()))
    return found


@pytest.mark.task("one_entry")
def test_schedule_adds_one_entry_however_often_it_is_called(exercise):
    with isolated_app() as app:
        sweep = exercise.register(app, Store(), Handler())
        app.conf.beat_schedule = {"other": {"task": "other.task", "schedule": 60.0}}
        for _ in range(3):
            exercise.schedule(app, sweep, 0.25)
        got = entries_for(app, sweep)
        assert len(got) == 1 and got[0][1] == 0.25, f"after schedule(app, sweep, 0.25) three times, beat would run {got}"
        assert "other" in app.conf.beat_schedule, "schedule() removed another entry of the beat schedule"
        exercise.schedule(app, sweep, 2)
        assert [period for _, period in entries_for(app, sweep)] == [2.0], "a new period must replace the old one"


@pytest.mark.task("one_entry")
def test_beat_drives_the_sweep_every_period(exercise):
    store = Store(expired=["a", "b"])
    handler = Handler()
    with isolated_app() as app, TaskRuns() as runs:
        sweep = exercise.register(app, store, handler)
        exercise.schedule(app, sweep, 0.2)
        with running_worker(app):
            beat = EmbeddedService(app, thread=True, max_interval=0.05, scheduler_cls="celery.beat:Scheduler")
            beat.start()
            try:
                runs.wait(lambda r: sum(1 for name, _, state in r.records if name == sweep.name and state == "SUCCESS") >= 3,
                          WAIT, "beat did not run the sweep three times")
            finally:
                beat.stop()
                beat.join(WAIT)
    assert sorted(handler.handled) == ["a", "b"], f"three sweeps handled {handler.handled}; each expired key once"
    assert store.expired() == [], f"keys left after the sweeps: {store.expired()}"


@pytest.mark.task("no_overlap")
def test_a_run_that_starts_during_another_skips_and_each_key_is_handled_once(exercise):
    store = Store(expired=["k1", "k2", "k3"])
    handler = Handler(hold=True)
    with isolated_app() as app:
        sweep = exercise.register(app, store, handler)
        with running_worker(app):
            try:
                first = sweep.delay()
                assert handler.inside.wait(WAIT), "the first sweep never reached the handler"
                second = plain(finished(sweep.delay(), WAIT, "a sweep started during another"))
                also = plain(finished(sweep.delay(), WAIT, "a third sweep, while the first still runs"))
            finally:
                handler.gate.set()
            handled = plain(finished(first, WAIT, "the first sweep"))
            third = plain(finished(sweep.delay(), WAIT, "a sweep after the others"))
    assert second == "skipped", f"a sweep started while another ran returned {second!r}, expected 'skipped'"
    assert also == "skipped", f"a third sweep while the first still ran returned {also!r}: a run that skips must not free the lock"
    assert handled == 3, f"the first sweep returned {handled!r}, expected the 3 keys it handled"
    assert Counter(handler.handled) == Counter(["k1", "k2", "k3"]), f"handled {handler.handled}: each key once"
    assert third == 0, f"a sweep after the others returned {third!r}: nothing was left, expected 0"


@pytest.mark.task("lock_released")
def test_a_failed_run_releases_the_lock(exercise):
    store = Store(expired=["x", "y"])
    handler = Handler(fail_on="x")
    with isolated_app() as app:
        sweep = exercise.register(app, store, handler)
        with running_worker(app):
            with pytest.raises(RuntimeError):
                finished(sweep.delay(), WAIT, "a sweep whose handler fails")
            again = plain(finished(sweep.delay(), WAIT, "the sweep after a failed one"))
    assert again == 2, f"the sweep after a failed one returned {again!r}, expected 2 (the lock must be free again)"
    assert sorted(handler.handled) == ["x", "y"]
