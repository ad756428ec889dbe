"""Graded tests for exercises/ch05_pyro/work_queue.py.

Time is a clock the test moves by hand, so a lease ends exactly when the test
says, on any machine. The queue is served by a daemon in a thread of the test
process (course.testing.pyro) and workers are threads with proxies of their
own; its `io` yields to other threads and records how many takes were between
choosing a job and recording its lease at once. One-worker behaviour is checked
against a sequential model with hypothesis, under a fixed profile.
"""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import Pyro5.api
from course.testing import YieldingIO as Disk
from course.testing import plain, provoke_races
from course.testing.pyro import Server, exposed

API = ["done", "put", "results", "take"]
MODEL = settings(derandomize=True, max_examples=80, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


class Clock:
    """A clock that moves only when the test says so."""

    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# ---- task: the queue, one worker at a time ----------------------------------------------


@pytest.mark.task("basics")
def test_jobs_go_out_in_the_order_put_and_results_come_back(exercise):
    queue = exercise.WorkQueue(lease=5, clock=Clock())
    for job_id in "abc":
        queue.put(job_id, {"n": ord(job_id)})
    assert plain(queue.take("w1")) == ["a", {"n": 97}], "the first take should get ['a', {'n': 97}]"
    assert plain(queue.take("w2")) == ["b", {"n": 98}], "the second take should get job b"
    assert plain(queue.done("w1", "a", "A")) is True, "done('w1', 'a', 'A') by the holder of a should return True"
    assert plain(queue.results()) == {"a": "A"}, f"results() is {queue.results()}, expected {{'a': 'A'}}"
    assert plain(queue.take("w3")) == ["c", {"n": 99}], "the third take should get job c"
    assert queue.take("w1") is None, "every job is out: take() should return None"


@pytest.mark.task("basics")
def test_a_job_id_is_put_only_once(exercise):
    queue = exercise.WorkQueue(lease=5, clock=Clock())
    queue.put("a", 1)
    with pytest.raises(ValueError):
        queue.put("a", 2)
    queue.done("w", queue.take("w")[0], "A")
    with pytest.raises(ValueError):
        queue.put("a", 3)
    assert queue.take("w") is None, "after a refused put the queue should hold no waiting job"


@pytest.mark.task("basics")
def test_done_counts_only_from_the_holder_and_only_once(exercise):
    queue = exercise.WorkQueue(lease=5, clock=Clock())
    queue.put("a", 1)
    assert plain(queue.done("w1", "a", "early")) is False, "done() for a job nobody took should return False"
    assert plain(queue.done("w1", "zzz", "x")) is False, "done() for an unknown job should return False"
    queue.take("w1")
    assert plain(queue.done("w2", "a", "stolen")) is False, "done() by a worker that does not hold the job should return False"
    assert plain(queue.done("w1", "a", "first")) is True, "done() by the holder should return True"
    assert plain(queue.done("w1", "a", "again")) is False, "a second done() for the same job should return False"
    results = queue.results()
    assert plain(results) == {"a": "first"}, f"results() is {results}, expected {{'a': 'first'}}"
    results["b"] = "mine"
    assert plain(queue.results()) == {"a": "first"}, "changing the dict results() returned changed the queue"


@pytest.mark.task("basics")
@pytest.mark.parametrize("lease", [0, -1])
def test_a_lease_must_be_positive(exercise, lease):
    with pytest.raises(ValueError):
        exercise.WorkQueue(lease=lease)


@pytest.mark.task("basics")
def test_clients_see_exactly_the_four_methods(exercise):
    methods, attributes, _ = exposed(exercise.WorkQueue())
    assert plain(methods) == API and not attributes, f"the queue exposes {methods} and {attributes}, expected {API}"


class ModelQueue:
    """The specification, one call at a time."""

    def __init__(self, lease):
        self.lease, self.now = lease, 100.0
        self.jobs, self.leases, self.results = {}, {}, {}

    def put(self, job_id, payload):
        if job_id in self.jobs:
            return ("raised", "ValueError")
        self.jobs[job_id] = payload
        return ("ok", None)

    def take(self, worker):
        for job_id, payload in self.jobs.items():
            held = self.leases.get(job_id)
            if job_id not in self.results and (held is None or held[1] <= self.now):
                self.leases[job_id] = (worker, self.now + self.lease)
                return ("ok", [job_id, payload])
        return ("ok", None)

    def done(self, worker, job_id, result):
        held = self.leases.get(job_id)
        if job_id in self.results or held is None or held[0] != worker:
            return ("ok", False)
        self.results[job_id] = result
        return ("ok", True)


WORKERS = st.sampled_from(["w1", "w2"])
JOBS = st.sampled_from(["a", "b", "c"])
STEPS = st.lists(st.one_of(
    st.tuples(st.just("put"), JOBS, st.integers(0, 9)),
    st.tuples(st.just("take"), WORKERS),
    st.tuples(st.just("done"), WORKERS, JOBS, st.integers(0, 9)),
    st.tuples(st.just("wait"), st.sampled_from([0.5, 1, 2, 3])),
), max_size=20)


@pytest.mark.task("basics")
@MODEL
@given(steps=STEPS)
def test_one_call_at_a_time_matches_the_model(exercise, steps):
    clock = Clock()
    queue, model, history = exercise.WorkQueue(lease=3, clock=clock), ModelQueue(3), "WorkQueue(lease=3)"
    for name, *args in steps:
        if name == "wait":
            clock.now += args[0]
            model.now += args[0]
            history += f"; clock +{args[0]}"
            continue
        history += f"; {name}{tuple(args)}"
        expected = getattr(model, name)(*args)
        try:
            got = ("ok", getattr(queue, name)(*args))
        except ValueError:
            got = ("raised", "ValueError")
        assert plain(got) == expected, f"{history}: got {got}, expected {expected}"
        assert plain(queue.results()) == model.results, f"{history}: results() is {queue.results()}, expected {model.results}"


# ---- task: leases -----------------------------------------------------------------------------


@pytest.mark.task("leases")
def test_a_job_waits_again_exactly_when_its_lease_ends(exercise):
    clock = Clock(100.0)
    queue = exercise.WorkQueue(lease=5, clock=clock)
    queue.put("a", "payload")
    queue.take("w1")
    clock.now = 104.5
    assert queue.take("w2") is None, "w1 took job a at 100 with lease=5; at 104.5 take() should return None"
    clock.now = 105.0
    assert plain(queue.take("w2")) == ["a", "payload"], "the lease taken at 100 ends at 105: take() then should return job a"
    clock.now = 109.5
    assert queue.take("w3") is None, "w2 took a at 105; at 109.5 its lease (from 105, not 100) still runs"
    clock.now = 110.0
    assert plain(queue.take("w3")) == ["a", "payload"], "w2's lease from 105 ends at 110: take() then should return a"


@pytest.mark.task("leases")
def test_the_default_lease_is_five_seconds(exercise):
    clock = Clock(100.0)
    queue = exercise.WorkQueue(clock=clock)
    queue.put("a", 1)
    queue.take("w1")
    clock.now = 104.99
    assert queue.take("w2") is None, "with the default lease, a job taken at 100 is still lent at 104.99"
    clock.now = 105.0
    assert plain(queue.take("w2")) == ["a", 1], "the default lease is 5 s: a job taken at 100 waits again at 105"


SNEAK_SECONDS = 0.3  # how long a take halfway through gives another thread's put to slip in


@pytest.mark.task("exactly_once")
def test_a_put_waits_for_a_take_halfway_through(exercise):
    """A put from another worker while a take is between choosing a job and leasing it
    must wait: the take is walking the jobs at that moment."""
    state: dict = {}

    def io():
        if "thread" in state:
            return
        done = threading.Event()
        state["thread"] = threading.Thread(target=lambda: (queue.put("late", 2), done.set()), name="sneaky-put")
        state["thread"].start()
        state["slipped_in"] = done.wait(SNEAK_SECONDS)

    queue = exercise.WorkQueue(lease=5, clock=Clock(), io=io)
    queue.put("a", 1)
    try:
        got = queue.take("w1")
    finally:
        if "thread" in state:
            state["thread"].join(5)
    assert "thread" in state, "take() never called io()"
    assert not state["slipped_in"], "another thread's put() ran to its end while take() was between choosing and leasing a job"
    assert plain(got) == ["a", 1] and plain(queue.take("w2")) == ["late", 2], "after the take, the late put's job should wait"


@pytest.mark.task("leases")
def test_a_late_result_from_a_replaced_worker_is_refused(exercise):
    clock = Clock()
    queue = exercise.WorkQueue(lease=2, clock=clock)
    queue.put("a", 1)
    queue.take("slow")
    clock.now += 2
    queue.take("fresh")
    assert plain(queue.done("slow", "a", "late")) is False, (
        "worker 'slow' reported job a after its lease ended and 'fresh' took it: done() should return False"
    )
    assert plain(queue.done("fresh", "a", "on time")) is True, "the holder 'fresh' should be able to report a"
    assert plain(queue.results()) == {"a": "on time"}, f"results() is {queue.results()}, expected {{'a': 'on time'}}"


@pytest.mark.task("leases")
def test_a_late_result_counts_when_nobody_took_the_job_since(exercise):
    clock = Clock()
    queue = exercise.WorkQueue(lease=2, clock=clock)
    queue.put("a", 1)
    queue.take("slow")
    clock.now += 10
    assert plain(queue.done("slow", "a", "late")) is True, (
        "worker 'slow' reported job a after its lease ended, but nobody took a since: done() should return True"
    )
    assert queue.take("other") is None, "a job that is done must not be handed out again"


@pytest.mark.task("leases")
def test_an_expired_job_goes_before_newer_jobs(exercise):
    clock = Clock()
    queue = exercise.WorkQueue(lease=1, clock=clock)
    queue.put("old", 1)
    queue.put("new", 2)
    queue.take("w1")
    clock.now += 1
    assert plain(queue.take("w2")) == ["old", 1], "job 'old' (put first, its lease ended) should go before 'new'"


@pytest.mark.task("leases")
def test_io_is_called_once_per_job_handed_out(exercise):
    disk = Disk()
    queue = exercise.WorkQueue(lease=1, clock=Clock(), io=disk)
    queue.put("a", 1)
    queue.take("w1")
    queue.take("w2")
    assert disk.probe.entries == 1, f"one job handed out, one take() that returned None: io() ran {disk.probe.entries} times"


# ---- task: many workers over Pyro --------------------------------------------------------------


@pytest.mark.task("exactly_once")
def test_workers_pulling_at_once_each_get_their_own_jobs(exercise):
    disk = Disk()
    workers, jobs = 4, 40
    taken: dict[str, list[str]] = {f"w{i}": [] for i in range(workers)}
    errors: list[BaseException] = []
    queue = exercise.WorkQueue(lease=60, io=disk)
    with Server() as server:
        uri = server.register(queue)
        for number in range(jobs):
            queue.put(f"job-{number}", number)
        start = threading.Barrier(workers)

        def work(name):
            try:
                with Pyro5.api.Proxy(uri) as proxy:
                    proxy._pyroBind()
                    start.wait(timeout=5)
                    while (job := proxy.take(name)) is not None:
                        taken[name].append(job[0])
                        proxy.done(name, job[0], job[1] * 2)
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

        with provoke_races():
            threads = [threading.Thread(target=work, args=(name,), name=name) for name in taken]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(20)
    assert not errors, f"a worker failed: {errors[0]!r}"
    handed = sorted(job for jobs_of_one in taken.values() for job in jobs_of_one)
    twice = sorted({job for job in handed if handed.count(job) > 1})
    assert not twice, f"{len(twice)} jobs were handed to two workers at once, e.g. {twice[:3]}"
    assert len(handed) == jobs, f"{workers} workers were handed {len(handed)} jobs of {jobs}"
    assert plain(queue.results()) == {f"job-{n}": n * 2 for n in range(jobs)}, "results() is missing results"
    assert disk.probe.max_inside == 1, f"{disk.probe.max_inside} takes were between choosing and leasing a job at once"


def drain(queue, worker: str) -> list[str]:
    """Take and do jobs as `worker` until none waits; the ids taken, in order."""
    handled = []
    while (job := queue.take(worker)) is not None:
        handled.append(job[0])
        queue.done(worker, job[0], f"{job[1]} by {worker}")
    return handled


@pytest.mark.task("exactly_once")
def test_the_job_of_a_worker_that_died_is_done_once_by_another(exercise):
    clock = Clock()
    queue = exercise.WorkQueue(lease=30, clock=clock)
    with Server() as server:
        uri = server.register(queue)
        for job_id in ("a", "b", "c"):
            queue.put(job_id, job_id.upper())
        with Pyro5.api.Proxy(uri) as ghost:
            lost = ghost.take("ghost")  # ... and the worker dies: its connection closes, no done()
        with Pyro5.api.Proxy(uri) as survivor:
            handled = drain(survivor, "survivor")
            clock.now += 30  # the ghost's lease ends
            handled += drain(survivor, "survivor")
        with Pyro5.api.Proxy(uri) as ghost:
            late = ghost.done("ghost", lost[0], "late")
    assert plain(handled) == ["b", "c", "a"], f"the surviving worker took {handled}, expected b, c, then the dead worker's a"
    assert plain(late) is False, "the dead worker's late done('ghost', 'a', ...) should return False"
    assert plain(queue.results()) == {j: f"{j.upper()} by survivor" for j in "abc"}, f"results() is {queue.results()}"
