"""Celery apps and workers for chapter 6's tests, labs and book, on the broker the environment names.

Built on the capstone's plumbing (`course.capstone.celery_app.make_app`): the
embedded filesystem broker by default, Redis or RabbitMQ when
`COURSE_BROKER_URL` and `COURSE_RESULT_BACKEND` are set.

Isolation, because Redis and RabbitMQ are shared by every run on the machine:
each app gets a fresh name (`course-t-<random>`). Its default queue is that
name, other queues it declares start with it, and on Redis every key it
writes, broker and results alike, starts with it (kombu's and Celery's
`global_keyprefix`). `isolated_app` deletes those queues, exchanges and keys
on the way out, also after a failure, so a leftover of one run can never
answer the next one. The embedded broker's folder is simply removed.

`running_worker` runs a real Celery worker in a thread of this process (the
threads pool): it consumes from the real broker, acknowledges, retries and
runs chords exactly as a worker on another machine would, yet a test can hand
its tasks gates and probes. It is always stopped, also when the test fails.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
import uuid
from typing import Any, Iterator

from celery import Celery
from celery.result import AsyncResult

from course.capstone import celery_app

PREFIX = "course-t-"
STOP_TIMEOUT = 15.0


def broker_description(app: Celery) -> str:
    """Which broker and result backend an app uses, for messages (no password)."""
    return f"broker {celery_app.redact(app.conf.broker_url)}, results {celery_app.redact(app.conf.result_backend)}"


@contextlib.contextmanager
def isolated_app(name: str | None = None) -> Iterator[Celery]:
    """A Celery app with a queue, keys and folder of its own, all removed at the end.

    JSON only, late acknowledgement, one message per worker thread at a time
    (the capstone's settings). `app.conf.task_default_queue` is the app's
    own queue; name any other queue `app.conf.task_default_queue + "-..."`
    so that it is cleaned up too.
    """
    name = name or f"{PREFIX}{uuid.uuid4().hex[:10]}"
    folder = None if os.environ.get("COURSE_BROKER_URL") else tempfile.mkdtemp(prefix=f"{name}-")
    app = celery_app.make_app(queue=name, folder=folder)
    app.main = name
    if app.conf.broker_url.startswith("redis"):
        app.conf.broker_transport_options = {**app.conf.broker_transport_options, "global_keyprefix": f"{name}:"}
    if str(app.conf.result_backend).startswith("redis"):
        app.conf.result_backend_transport_options = {"global_keyprefix": f"{name}:"}
    _tasks_of_this_app_only(app)
    app.conf.update(beat_schedule_filename=os.path.join(folder or tempfile.gettempdir(), f"{name}-beat"))
    try:
        yield app
    finally:
        _clean_broker(app, name)
        app.close()
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            for suffix in ("", ".db", ".dat", ".dir", ".bak"):
                with contextlib.suppress(OSError):
                    os.unlink(app.conf.beat_schedule_filename + suffix)


def _tasks_of_this_app_only(app: Celery) -> None:
    """`@app.task` defaults to shared=True: the task is added to every app created later
    in the process, and a later test's own task of the same name is then ignored
    (DuplicateTaskNameWarning), its closures included. Here tasks stay with their app."""
    register = app.task

    def task(*args: Any, **options: Any) -> Any:
        options.setdefault("shared", False)
        return register(*args, **options)

    app.task = task  # type: ignore[method-assign]


def _clean_broker(app: Celery, name: str) -> None:
    """Delete this app's queues and exchanges, and on Redis every key under its name."""
    queues = {name} | {queue.name for queue in (app.conf.task_queues or ())}
    with contextlib.suppress(Exception):
        with app.connection_for_write() as connection:
            channel = connection.default_channel
            for queue in queues:
                for drop in (channel.queue_purge, channel.queue_delete, channel.exchange_delete):
                    with contextlib.suppress(Exception):
                        drop(queue)
    for url in {app.conf.broker_url, str(app.conf.result_backend)}:
        if url.startswith("redis"):
            with contextlib.suppress(Exception):
                _delete_keys(url, f"{name}*")


def _delete_keys(url: str, pattern: str) -> list[str]:
    """Delete the keys matching `pattern` in the Redis database of `url` (a plain client:
    kombu's own would add the prefix a second time); return what was there."""
    import redis

    with redis.Redis.from_url(url) as client:
        keys = list(client.scan_iter(match=pattern))
        if keys:
            client.delete(*keys)
    return [key.decode() for key in keys]


def leftover_keys(app: Celery) -> list[str]:
    """Redis keys under this app's name, in its broker's and its results' databases."""
    import redis

    found: list[str] = []
    for url in {app.conf.broker_url, str(app.conf.result_backend)}:
        if url.startswith("redis"):
            with redis.Redis.from_url(url) as client:
                found += [key.decode() for key in client.scan_iter(match=f"{app.main}*")]
    return found


WAKE_TASK = "course.testing.wake"


@contextlib.contextmanager
def running_worker(app: Celery, queues: list[str] | None = None, concurrency: int = 2,
                   loglevel: str = "ERROR") -> Iterator[Any]:
    """A real worker in a thread of this process (threads pool), stopped at the end.

    It consumes `queues` (default: the app's own queue). Tasks it runs may
    share objects with the test (gates, probes, fake services); everything
    they send and return still crosses the broker as JSON. Register every task
    before starting it: a worker knows only the tasks it was started with.
    The worker logs a task's exception at ERROR; labs that fail on purpose pass
    loglevel="CRITICAL".

    Stopping: a polling transport (the embedded broker) checks for "stop" only
    between waits of up to 2 s, so no-op messages wake it at once.
    """
    import threading

    from celery._state import _set_task_join_will_block
    from celery.contrib.testing.worker import TestWorkController, setup_app_for_worker
    from celery.worker import state

    queues = queues or [app.conf.task_default_queue]
    if WAKE_TASK not in app.tasks:
        app.task(name=WAKE_TASK, ignore_result=True)(_wake)
    setup_app_for_worker(app, loglevel, None)
    worker = TestWorkController(app=app, concurrency=concurrency, pool="threads", loglevel=loglevel,
                                logfile=None, ready_callback=None, without_heartbeat=True,
                                without_mingle=True, without_gossip=True, queues=queues,
                                hostname=f"{app.main}-{uuid.uuid4().hex[:6]}@127.0.0.1")
    thread = threading.Thread(target=worker.start, name=f"celery worker {app.main}", daemon=True)
    thread.start()
    try:
        if not worker._on_started.wait(STOP_TIMEOUT):
            raise RuntimeError(f"the Celery worker did not start within {STOP_TIMEOUT} s ({broker_description(app)})")
        _set_task_join_will_block(False)  # this thread is the test's, not a task's: it may wait on results
        yield worker
    finally:
        state.should_terminate = 0
        for queue in queues * 2:  # the loop waits once more after it has seen "stop"
            with contextlib.suppress(Exception):
                app.send_task(WAKE_TASK, queue=queue)
        thread.join(STOP_TIMEOUT)
        state.should_terminate = None
        executor = getattr(worker.pool, "executor", None)
        if executor is not None:  # "terminate" leaves the threads pool's idle threads behind
            executor.shutdown(wait=True, cancel_futures=True)
        if thread.is_alive():
            raise RuntimeError(f"the Celery worker did not stop within {STOP_TIMEOUT} s")


def _wake() -> None:
    """A no-op task: its message wakes a worker that waits on a polling transport."""


def wait_for_state(result: AsyncResult, states: set[str], timeout: float) -> str:
    """Poll a task's state until it is one of `states`; AssertionError naming the last one seen."""
    deadline = time.monotonic() + timeout
    while True:
        state = result.state
        if state in states:
            return state
        if time.monotonic() >= deadline:
            raise AssertionError(f"task {result.id} was still {state} after {timeout} s, expected one of {sorted(states)}")
        time.sleep(0.01)


class TaskRuns:
    """Every task run this process's worker finished, from Celery's own signals.

    Use as a context manager around a test: `runs.wait(lambda r: ..., timeout)`
    waits (on a Condition, with a deadline) until the records satisfy a
    predicate. A record is (task name, task id, state), where state is
    "SUCCESS", "FAILURE" or "RETRY": one record per delivery that ran, so a
    message delivered twice shows twice.
    """

    def __init__(self) -> None:
        import threading

        self.records: list[tuple[str, str, str]] = []
        self.outcomes: dict[str, tuple[str, Any]] = {}  # task id -> (final state, return value or exception)
        self._changed = threading.Condition()

    def _record(self, name: str, task_id: str, state: str) -> None:
        with self._changed:
            self.records.append((name, task_id, state))
            self._changed.notify_all()

    def _on_postrun(self, sender=None, task_id=None, state=None, retval=None, **_: Any) -> None:
        if state != "RETRY":  # task_retry below records those
            with self._changed:
                self.outcomes[task_id] = (state or "?", retval)
            self._record(getattr(sender, "name", "?"), task_id, state or "?")

    def outcome(self, task_id: str, timeout: float, what: str) -> tuple[str, Any]:
        """(final state, return value or exception) of the last run of a task, as the worker
        saw it. A retry with a countdown of 0 can finish before the run that sent it has
        stored RETRY, and that late RETRY then hides the result in the backend: the
        worker's own report has no such race."""
        try:
            self.wait(lambda runs: task_id in runs.outcomes, timeout)
        except AssertionError:
            states = self.of(task_id)
            raise AssertionError(f"{what} did not finish within {timeout} s: it ran {len(states)} time(s) "
                                 f"({', '.join(states) or 'never'}), and never succeeded or failed") from None
        with self._changed:
            return self.outcomes[task_id]

    def _on_retry(self, sender=None, request=None, **_: Any) -> None:
        self._record(getattr(sender, "name", "?"), getattr(request, "id", "?"), "RETRY")

    def __enter__(self) -> "TaskRuns":
        from celery.signals import task_postrun, task_retry

        task_postrun.connect(self._on_postrun, weak=False)
        task_retry.connect(self._on_retry, weak=False)
        return self

    def __exit__(self, *exc: Any) -> None:
        from celery.signals import task_postrun, task_retry

        task_postrun.disconnect(self._on_postrun)
        task_retry.disconnect(self._on_retry)

    def of(self, task_id: str) -> list[str]:
        """The states of every run of one task id, in order."""
        with self._changed:
            return [state for _, tid, state in self.records if tid == task_id]

    def wait(self, predicate: Any, timeout: float, message: str = "") -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: predicate(self), timeout=timeout):
                raise AssertionError(message or f"task runs not as expected within {timeout} s: {self.records}")


def finished(result: AsyncResult, timeout: float, what: str) -> Any:
    """`result.get()` with a deadline, the task's own exception re-raised; a task that does
    not finish fails the test saying so in plain words, with the state it was left in."""
    from celery.exceptions import TimeoutError as CeleryTimeout

    try:
        return result.get(timeout=timeout, interval=0.01)
    except CeleryTimeout:
        state = result.state
        why = {
            "PENDING": "no worker finished it and nothing was recorded: it never ran, was lost, "
                       "or waits for something that never came (a chord counts only stored results)",
            "RETRY": "it was still retrying",
            "STARTED": "it was still running",
        }.get(state, f"its state was {state}")
        raise AssertionError(f"{what} did not finish within {timeout} s: {why}") from None


class SharedStore:
    """What Redis is to workers on many machines, for workers in one test process: a dict
    behind a lock, with an atomic `add` (set only if absent, like `SET key value NX`)."""

    def __init__(self, data: dict | None = None) -> None:
        import threading

        self.data: dict = dict(data or {})
        self._lock = threading.Lock()

    def add(self, key: str, value: Any) -> bool:
        with self._lock:
            if key in self.data:
                return False
            self.data[key] = value
            return True

    def get(self, key: str) -> Any:
        with self._lock:
            return self.data.get(key)

    def set(self, key: str, value: Any) -> None:
        with self._lock:
            self.data[key] = value

    def delete(self, key: str) -> None:
        with self._lock:
            self.data.pop(key, None)
