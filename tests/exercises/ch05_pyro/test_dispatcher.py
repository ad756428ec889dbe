"""Graded tests for exercises/ch05_pyro/dispatcher.py.

Every daemon runs in a thread of the test process on 127.0.0.1 and a free port
(course.testing.pyro), so each half is graded against a partner written here:
the Dispatcher calls back a `Recorder` the test serves, and run_jobs() talks
to a `FakeDispatcher` whose jobs wait on conditions the test controls. Nothing
waits by sleeping: jobs wait on events with deadlines, and "the client is
gone" is read from this process's listening sockets.
"""

from __future__ import annotations

import contextlib
import threading
import time

import psutil
import pytest

import Pyro5.api
import Pyro5.errors
from course.testing import Overlap, plain, wait_until
from course.testing.pyro import Server, exposed

WAIT = 10.0
HANG = 99  # a job of this size never ends until the test releases it


def listening(port: int) -> bool:
    """Is something in this process listening on `port`?"""
    return any(c.status == psutil.CONN_LISTEN and c.laddr.port == port
               for c in psutil.Process().net_connections(kind="tcp"))


@Pyro5.api.expose
class Recorder:
    """The test's listener for the Dispatcher: records every callback in order."""

    def __init__(self) -> None:
        self.events: list[tuple] = []
        self._changed = threading.Condition()

    def _add(self, event: tuple) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def progress(self, job_id, done):
        self._add(("progress", job_id, done))

    def finished(self, job_id, result):
        self._add(("finished", job_id, result))

    def failed(self, job_id, message):
        self._add(("failed", job_id, message))

    def wait_ended(self, count: int) -> list[tuple]:
        with self._changed:
            self._changed.wait_for(lambda: sum(e[0] != "progress" for e in self.events) >= count, timeout=WAIT)
            return list(self.events)


class Work:
    """work(n, report) for the Dispatcher: waits for the gate, reports 1..n, returns n * 10.

    A negative n raises ValueError("boom n"). After each report it checks that the
    recorder already holds that report: progress must be passed on at once.
    """

    def __init__(self, recorder: Recorder, hold_until: int = 0) -> None:
        self.recorder = recorder
        self.gate = threading.Event()
        self.ended = threading.Event()
        self.probe = Overlap(hold_until=hold_until, hold_timeout=5.0)
        self.late_reports: list[tuple] = []

    def __call__(self, n, report):
        try:
            with self.probe.region():
                self.gate.wait(5.0)
                for done in range(1, n + 1):
                    report(done)
                    if not any(e[0] == "progress" and e[2] == done for e in self.recorder.events):
                        self.late_reports.append(done)
            if n < 0:
                raise ValueError(f"boom {n}")
            return n * 10
        finally:
            self.ended.set()


def dispatcher_and_recorder(exercise, work_factory=Work, **options):
    """Two daemons: the Dispatcher under test, and the test's Recorder."""
    dispatcher_server, recorder_server = Server(), Server()
    recorder = Recorder()
    work = work_factory(recorder, **options)
    dispatcher_uri = dispatcher_server.register(exercise.Dispatcher(work))
    recorder_uri = recorder_server.register(recorder)
    return dispatcher_server, recorder_server, dispatcher_uri, recorder_uri, recorder, work


# ---- task: the dispatcher --------------------------------------------------------------


@pytest.mark.task("dispatcher")
def test_submit_is_the_one_method_and_it_is_oneway(exercise):
    methods, _, oneway = exposed(exercise.Dispatcher(lambda n, report: n))
    assert plain(methods) == ["submit"] and plain(oneway) == ["submit"], (
        f"the dispatcher exposes {methods}, oneway {oneway}; expected exactly submit, oneway"
    )


@pytest.mark.task("dispatcher")
def test_submit_returns_at_once_then_progress_and_the_result_arrive_in_order(exercise):
    d_server, r_server, d_uri, r_uri, recorder, work = dispatcher_and_recorder(exercise)
    with d_server, r_server:
        with Pyro5.api.Proxy(d_uri) as dispatcher:
            returned = dispatcher.submit("a", 3, Pyro5.api.Proxy(r_uri))
        running = not work.ended.is_set()
        work.gate.set()
        events = recorder.wait_ended(1)
    assert running, "submit('a', 3, listener) returned only after the job had ended: it must be oneway"
    assert returned is None, f"submit returned {returned!r}; a oneway call returns None"
    expected = [("progress", "a", 1), ("progress", "a", 2), ("progress", "a", 3), ("finished", "a", 30)]
    assert plain(events) == expected, f"the listener was called with {events}, expected {expected}"
    assert not work.late_reports, f"reports {work.late_reports} reached the listener only later; pass each on at once"


@pytest.mark.task("dispatcher")
def test_a_job_that_raises_is_reported_as_failed(exercise):
    d_server, r_server, d_uri, r_uri, recorder, work = dispatcher_and_recorder(exercise)
    work.gate.set()
    with d_server, r_server:
        with Pyro5.api.Proxy(d_uri) as dispatcher:
            dispatcher.submit("bad", -1, Pyro5.api.Proxy(r_uri))
        events = recorder.wait_ended(1)
    expected = [("failed", "bad", "ValueError: boom -1")]
    assert plain(events) == expected, f"a job whose work raised ValueError('boom -1') was reported as {events}, expected {expected}"


@pytest.mark.task("dispatcher")
def test_jobs_run_at_the_same_time(exercise):
    d_server, r_server, d_uri, r_uri, recorder, work = dispatcher_and_recorder(exercise, hold_until=2)
    work.gate.set()
    with d_server, r_server:
        with Pyro5.api.Proxy(d_uri) as dispatcher:
            dispatcher.submit("x", 1, Pyro5.api.Proxy(r_uri))
            dispatcher.submit("y", 2, Pyro5.api.Proxy(r_uri))
        events = recorder.wait_ended(2)
    assert work.probe.max_inside == 2, f"two submitted jobs: at most {work.probe.max_inside} ran at once, expected 2"
    assert plain(sorted(e for e in events if e[0] == "finished")) == [("finished", "x", 10), ("finished", "y", 20)], (
        f"jobs x (n=1) and y (n=2) ended with {events}"
    )


# ---- task: the listener ------------------------------------------------------------------


@pytest.mark.task("listener")
def test_the_listener_collects_results_and_failures(exercise):
    seen: list[tuple] = []
    listener = exercise.Listener(on_progress=lambda job_id, done: seen.append((job_id, done)))
    listener.progress("a", 1)
    listener.finished("a", [1, 2])
    listener.failed("b", "ValueError: no")
    assert plain(seen) == [("a", 1)], f"progress('a', 1) called on_progress with {seen}, expected [('a', 1)]"
    got = listener.wait(["a", "b"], timeout=1.0)
    expected = {"a": (True, [1, 2]), "b": (False, "ValueError: no")}
    assert plain(got) == expected, f"wait(['a', 'b']) returned {got}, expected {expected}"
    exercise.Listener().progress("c", 1)  # no on_progress: nothing to call, nothing to fail


@pytest.mark.task("listener")
def test_wait_times_out_naming_the_missing_jobs(exercise):
    listener = exercise.Listener()
    listener.finished("a", 1)
    started = time.monotonic()
    with pytest.raises(TimeoutError) as raised:
        listener.wait(["a", "missing-job"], timeout=0.2)
    took = time.monotonic() - started
    assert "missing-job" in str(raised.value), f"the TimeoutError says {str(raised.value)!r}; it should name missing-job"
    assert took >= 0.2, f"wait(timeout=0.2) gave up after {took:.2f} s"


@pytest.mark.task("listener")
def test_wait_wakes_for_jobs_that_end_in_other_threads(exercise):
    listener = exercise.Listener()
    ids = [f"job-{i}" for i in range(8)]
    threads = [threading.Thread(target=listener.finished, args=(job_id, i)) for i, job_id in enumerate(ids)]
    box: dict = {}
    # A long timeout, a shorter join: a wait that only notices the jobs at its deadline fails.
    waiter = threading.Thread(target=lambda: box.update(got=listener.wait(ids, timeout=60)), daemon=True)
    waiter.start()
    for thread in threads:
        thread.start()
    for thread in threads + [waiter]:
        thread.join(WAIT)
    assert not waiter.is_alive(), f"every job had ended, but wait(timeout=60) was still waiting {WAIT:.0f} s later"
    assert plain(box.get("got")) == {job_id: (True, i) for i, job_id in enumerate(ids)}, (
        f"8 jobs finished in 8 threads; wait() returned {box.get('got')}"
    )


@pytest.mark.task("listener")
def test_the_listener_exposes_its_three_callbacks(exercise):
    methods, attributes, _ = exposed(exercise.Listener())
    assert plain(methods) == ["failed", "finished", "progress"] and not attributes, (
        f"the listener exposes {methods} and attributes {attributes}; expected exactly failed, finished, progress"
    )


# ---- task: run_jobs against a dispatcher written here ----------------------------------------


@Pyro5.api.expose
class FakeDispatcher:
    """Holds every job until `expected` jobs were submitted, then reports 1..n and n * 10.

    n < 0 fails; n == HANG waits for `release`. A job named "late" first waits for the
    other jobs to have ended, then gives a client that is still waiting one second:
    a client that raised early has shut its daemon down by then.
    """

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.submitted: list[str] = []
        self.listener_hosts: set[str] = set()
        self.listener_ports: set[int] = set()
        self.all_in = threading.Event()
        self.release = threading.Event()
        self.others_ended = threading.Event()
        self.client_left_early = False
        self.ended = 0
        self.lock = threading.Lock()

    @Pyro5.api.oneway
    def submit(self, job_id, n, listener):
        with self.lock:
            self.submitted.append(job_id)
            if len(self.submitted) == self.expected:
                self.all_in.set()
        listener._pyroClaimOwnership()
        self.listener_hosts.add(listener._pyroUri.host)
        self.listener_ports.add(listener._pyroUri.port)
        with listener:
            self.all_in.wait(WAIT)
            if n == HANG:
                self.release.wait(WAIT)
            if job_id == "late":
                self.others_ended.wait(WAIT)
                with contextlib.suppress(AssertionError):  # wait_until ran out of time: still there
                    wait_until(lambda: not listening(listener._pyroUri.port), timeout=1.0)
                    self.client_left_early = True
            try:
                for done in range(1, max(n, 0) + 1):
                    listener.progress(job_id, done)
                if n < 0:
                    listener.failed(job_id, f"ValueError: boom {n}")
                else:
                    listener.finished(job_id, n * 10)
            except Pyro5.errors.PyroError:
                pass  # the client is gone
            finally:
                with self.lock:
                    self.ended += 1
                    if self.ended == self.expected - 1:
                        self.others_ended.set()


@pytest.mark.task("run_jobs")
def test_run_jobs_returns_every_result_and_passes_progress_on(exercise):
    fake = FakeDispatcher(expected=3)
    seen: list[tuple] = []
    with Server() as server:
        uri = server.register(fake)
        got = exercise.run_jobs(uri, {"a": 2, "b": 3, "c": 0}, timeout=WAIT,
                                on_progress=lambda job_id, done: seen.append((job_id, done)))
    assert plain(got) == {"a": 20, "b": 30, "c": 0}, f"run_jobs(a=2, b=3, c=0) returned {got}, expected a: 20, b: 30, c: 0"
    for job_id, n in (("a", 2), ("b", 3)):
        reports = [done for job, done in seen if job == job_id]
        assert plain(reports) == list(range(1, n + 1)), f"on_progress got {reports} for job {job_id}, expected 1..{n}"
    assert fake.listener_hosts == {"127.0.0.1"}, f"the listener was served on {fake.listener_hosts}, expected 127.0.0.1"
    assert fake.all_in.is_set() and len(fake.submitted) == 3, (
        f"the dispatcher received {fake.submitted}: submit every job before waiting for any"
    )
    still = [port for port in fake.listener_ports if listening(port)]
    assert not still, f"run_jobs returned, but its listener daemon still listens on port {still}"


@pytest.mark.task("run_jobs")
def test_run_jobs_of_nothing_returns_nothing(exercise):
    with Server() as server:
        uri = server.register(FakeDispatcher(expected=0))
        assert plain(exercise.run_jobs(uri, {}, timeout=1.0)) == {}, "run_jobs(uri, {}) should return {}"


# ---- task: failures and time-outs end cleanly ----------------------------------------------


@pytest.mark.task("clean_exit")
def test_a_failed_job_raises_JobFailed_once_every_job_has_ended(exercise):
    fake = FakeDispatcher(expected=4)
    with Server() as server:
        uri = server.register(fake)
        with pytest.raises(exercise.JobFailed) as raised:
            exercise.run_jobs(uri, {"a": 1, "bad": -1, "worse": -2, "late": 1}, timeout=WAIT)
    error = raised.value
    assert str(error) == "job bad failed: ValueError: boom -1", f"str(JobFailed) is {str(error)!r}"
    assert (error.job_id, error.message) == ("bad", "ValueError: boom -1"), (
        f"JobFailed had job_id {error.job_id!r}, message {error.message!r}; expected the first failed job in "
        "the order given: 'bad', 'ValueError: boom -1'"
    )
    assert not fake.client_left_early, (
        "run_jobs raised JobFailed while the job 'late' was still running: wait until every job has ended"
    )
    still = [port for port in fake.listener_ports if listening(port)]
    assert not still, f"run_jobs raised, but its listener daemon still listens on port {still}"


@pytest.mark.task("clean_exit")
def test_jobs_that_do_not_end_in_time_raise_TimeoutError_and_stop_the_daemon(exercise):
    fake = FakeDispatcher(expected=2)
    try:
        with Server() as server:
            uri = server.register(fake)
            started = time.monotonic()
            with pytest.raises(TimeoutError):
                exercise.run_jobs(uri, {"quick": 1, "stuck": HANG}, timeout=0.5)
            took = time.monotonic() - started
            still = [port for port in fake.listener_ports if listening(port)]
    finally:
        fake.release.set()
    assert took >= 0.5, f"run_jobs(timeout=0.5) gave up after {took:.2f} s"
    assert not still, f"run_jobs raised TimeoutError, but its listener daemon still listens on port {still}"
