"""Exercise: a job dispatcher with oneway submissions and progress callbacks.

A client hands jobs to a dispatcher and does not wait for each one: the
submission is a oneway call (the client sends the request and goes on; no
reply, no result, no error ever comes back). The dispatcher then calls the
client back: progress while a job runs, and its result (or its error) at the
end. To be called back, the client must itself serve its listener object
from a Pyro daemon of its own, and pass the dispatcher a proxy of it.

Write both halves:
- `Dispatcher`, served by the dispatcher's daemon;
- `Listener` and `run_jobs()`, the client side.

Hazards to avoid:
- expecting a result from a oneway call: it returns None, always;
- a listener that is not served by a daemon: the dispatcher gets a copy of
  its attributes (a dict), not something it can call; the client waits forever;
- a proxy used from a thread that did not make it: Pyro refuses (claim it first
  with `proxy._pyroClaimOwnership()`);
- a client daemon left running after run_jobs() returns or raises.
"""

from __future__ import annotations

from typing import Any, Callable

import Pyro5.api


class JobFailed(Exception):
    """A job raised in the dispatcher: .job_id and .message (e.g. 'ValueError: boom')."""

    def __init__(self, job_id: str, message: str):
        super().__init__(f"job {job_id} failed: {message}")
        self.job_id = job_id
        self.message = message


class Dispatcher:
    """Dispatcher(work): runs each submitted job as `work(n, report)`.

    Exposed to Pyro clients: exactly `submit`, as a oneway method.
    """

    def __init__(self, work: Callable[[int, Callable[[int], None]], Any]):
        raise NotImplementedError("TODO")

    def submit(self, job_id: str, n: int, listener: Pyro5.api.Proxy) -> None:
        """Run work(n, report) and tell `listener` (a proxy of the client's Listener) about it.

        Oneway: the caller does not wait, and several jobs run at the same time
        (Pyro runs each oneway call in a thread of its own). Every
        report(done) made by the work becomes listener.progress(job_id, done),
        at once and in order; then listener.finished(job_id, result) with what
        work returned, or, if work raised, listener.failed(job_id, "Type: message")
        (e.g. "ValueError: boom").
        """
        raise NotImplementedError("TODO")


class Listener:
    """The client's callback object. Listener(on_progress=None).

    Exposed to Pyro clients: progress, finished and failed. The client's
    daemon calls them from its own threads, several at once.
    """

    def __init__(self, on_progress: Callable[[str, int], None] | None = None):
        raise NotImplementedError("TODO")

    def progress(self, job_id: str, done: int) -> None:
        """Pass the report on: on_progress(job_id, done), if given."""
        raise NotImplementedError("TODO")

    def finished(self, job_id: str, result: Any) -> None:
        raise NotImplementedError("TODO")

    def failed(self, job_id: str, message: str) -> None:
        raise NotImplementedError("TODO")

    def wait(self, job_ids: list[str], timeout: float) -> dict[str, tuple[bool, Any]]:
        """Block until every job in `job_ids` has finished or failed; return
        {job_id: (True, result) or (False, message)}. TimeoutError, naming the
        missing jobs, when they have not all ended within `timeout` seconds."""
        raise NotImplementedError("TODO")


def run_jobs(dispatcher_uri: str, jobs: dict[str, int], timeout: float = 10.0,
             on_progress: Callable[[str, int], None] | None = None) -> dict[str, Any]:
    """Submit every job ({job_id: n}) to the dispatcher at `dispatcher_uri` and
    return {job_id: result} once all of them have ended.

    Serve a Listener(on_progress) from a daemon of your own on 127.0.0.1 and a
    free port while the jobs run, and pass the dispatcher a proxy of it. Submit
    all the jobs before waiting for any. If jobs failed, raise JobFailed for
    the first of them in `jobs`' order, once every job has ended. If they have
    not all ended within `timeout` seconds, raise TimeoutError. Whatever
    happens, the daemon is shut down before run_jobs returns or raises.
    """
    raise NotImplementedError("TODO")
