"""Graded tests for exercises/ch06_celery/progress_tracker.py.

The work function waits on a gate per item, so the test decides when each item
finishes and reads the progress in between: every reading is polled with a
deadline, never slept for. "Queued" is observed before any worker runs (the
message waits in the broker); an id the tracker never sent must read as
unknown, though Celery itself reports PENDING for both.
"""

from __future__ import annotations

import threading
import uuid

import pytest

from course.testing import plain, wait_until
from course.testing.celery import isolated_app, running_worker

WAIT = 10.0


class Work:
    """work(item): waits for the item's gate, then returns item * 10 (or raises for 'bad')."""

    def __init__(self):
        self.gates: dict = {}
        self._lock = threading.Lock()

    def gate(self, item):
        with self._lock:
            return self.gates.setdefault(item, threading.Event())

    def __call__(self, item):
        if not self.gate(item).wait(WAIT):
            raise AssertionError(f"the test never opened the gate of item {item}")
        if item == "bad":
            raise ValueError("cannot work on 'bad'")
        return item * 10

    def open_all(self):
        with self._lock:
            gates = list(self.gates.values())
        for gate in gates:
            gate.set()


@pytest.fixture
def setup(exercise):
    work = Work()
    with isolated_app() as app:
        task = exercise.register(app, work)
        tracker = exercise.Tracker(task)
        try:
            yield app, tracker, work
        finally:
            work.open_all()
            for item in (1, 2, 3, "bad"):
                work.gate(item).set()


def status_becomes(tracker, task_id, expected):
    seen = []

    def check():
        seen.append(plain(tracker.status(task_id)))
        return seen[-1] == expected

    try:
        wait_until(check, WAIT)
    except AssertionError:
        pytest.fail(f"status({task_id!r}) never became {expected}; last seen {seen[-1] if seen else None}", pytrace=False)


@pytest.mark.task("progress")
def test_progress_is_reported_before_the_first_item_and_after_each(setup):
    app, tracker, work = setup
    with running_worker(app):
        task_id = tracker.submit([1, 2, 3])
        status_becomes(tracker, task_id, {"state": "running", "done": 0, "total": 3})
        for done, item in enumerate([1, 2, 3], start=1):
            work.gate(item).set()
            if done < 3:
                status_becomes(tracker, task_id, {"state": "running", "done": done, "total": 3})
        status_becomes(tracker, task_id, {"state": "done", "result": [10, 20, 30]})


@pytest.mark.task("progress")
def test_an_empty_list_is_done_at_once(setup):
    app, tracker, _ = setup
    with running_worker(app):
        task_id = tracker.submit([])
        status_becomes(tracker, task_id, {"state": "done", "result": []})


@pytest.mark.task("queued_or_unknown")
def test_a_submitted_task_no_worker_has_taken_is_queued(setup):
    app, tracker, work = setup
    task_id = tracker.submit([1])
    assert isinstance(task_id, str), f"submit returned {task_id!r}, not a task id"
    assert plain(tracker.status(task_id)) == {"state": "queued"}, f"status of a task waiting in the queue: {tracker.status(task_id)}"
    work.gate(1).set()
    with running_worker(app):
        status_becomes(tracker, task_id, {"state": "done", "result": [10]})


@pytest.mark.task("queued_or_unknown")
def test_an_id_this_tracker_never_sent_is_unknown(setup, exercise):
    app, tracker, work = setup
    other = exercise.Tracker(tracker.task)
    work.gate(1).set()
    with running_worker(app):
        foreign = other.submit([1])
        status_becomes(other, foreign, {"state": "done", "result": [10]})
        for task_id in (str(uuid.uuid4()), "no-such-task", foreign):
            assert plain(tracker.status(task_id)) == {"state": "unknown"}, (
                f"status({task_id!r}) of an id this tracker never submitted gave {tracker.status(task_id)}"
            )


@pytest.mark.task("failure")
def test_a_failed_task_reports_the_error_type_and_message(setup):
    app, tracker, work = setup
    work.gate(1).set()
    work.gate("bad").set()
    with running_worker(app):
        task_id = tracker.submit([1, "bad", 3])
        status_becomes(tracker, task_id, {"state": "failed", "error": "ValueError: cannot work on 'bad'"})
