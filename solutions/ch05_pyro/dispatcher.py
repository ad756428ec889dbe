"""A job dispatcher with oneway submissions and progress callbacks (reference solution).

`submit` is oneway: the client's call returns as soon as the request is sent,
and the daemon runs the method in a thread of its own. The dispatcher talks
back through the listener proxy the client passed in. That proxy was made in
the daemon's connection thread, so the job's thread claims it first (a Pyro
proxy belongs to one thread). The client serves its listener from a daemon of
its own: without one, nothing could call it back.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import Pyro5.api


class JobFailed(Exception):
    """A job raised in the dispatcher: .job_id and .message (e.g. 'ValueError: boom')."""

    def __init__(self, job_id: str, message: str):
        super().__init__(f"job {job_id} failed: {message}")
        self.job_id = job_id
        self.message = message


class Dispatcher:
    """Runs each submitted job as work(n, report) and reports to the job's listener."""

    def __init__(self, work: Callable[[int, Callable[[int], None]], Any]):
        self._work = work

    @Pyro5.api.expose
    @Pyro5.api.oneway
    def submit(self, job_id: str, n: int, listener: Pyro5.api.Proxy) -> None:
        listener._pyroClaimOwnership()
        with listener:
            try:
                result = self._work(n, lambda done: listener.progress(job_id, done))
            except Exception as error:
                listener.failed(job_id, f"{type(error).__name__}: {error}")
            else:
                listener.finished(job_id, result)


class Listener:
    """The client's callback object: the dispatcher calls it from the daemon's threads."""

    def __init__(self, on_progress: Callable[[str, int], None] | None = None):
        self._on_progress = on_progress or (lambda job_id, done: None)
        self._ended: dict[str, tuple[bool, Any]] = {}  # job id -> (ok, result or message)
        self._changed = threading.Condition()

    @Pyro5.api.expose
    def progress(self, job_id: str, done: int) -> None:
        self._on_progress(job_id, done)

    @Pyro5.api.expose
    def finished(self, job_id: str, result: Any) -> None:
        self._end(job_id, True, result)

    @Pyro5.api.expose
    def failed(self, job_id: str, message: str) -> None:
        self._end(job_id, False, message)

    def _end(self, job_id: str, ok: bool, value: Any) -> None:
        with self._changed:
            self._ended[job_id] = (ok, value)
            self._changed.notify_all()

    def wait(self, job_ids: list[str], timeout: float) -> dict[str, tuple[bool, Any]]:
        with self._changed:
            # wait_for keeps one deadline however often the Condition is notified.
            if not self._changed.wait_for(lambda: all(j in self._ended for j in job_ids), timeout):
                missing = [job_id for job_id in job_ids if job_id not in self._ended]
                raise TimeoutError(f"jobs {missing} did not end within {timeout} s")
            return {job_id: self._ended[job_id] for job_id in job_ids}


def run_jobs(dispatcher_uri: str, jobs: dict[str, int], timeout: float = 10.0,
             on_progress: Callable[[str, int], None] | None = None) -> dict[str, Any]:
    listener = Listener(on_progress)
    daemon = Pyro5.api.Daemon(host="127.0.0.1", port=0)
    callback = Pyro5.api.Proxy(daemon.register(listener))
    loop = threading.Thread(target=daemon.requestLoop, name="listener-daemon", daemon=True)
    loop.start()
    try:
        with Pyro5.api.Proxy(dispatcher_uri) as dispatcher:
            for job_id, n in jobs.items():
                dispatcher.submit(job_id, n, callback)
        ended = listener.wait(list(jobs), timeout)
    finally:
        daemon.shutdown()  # returns once the request loop has stopped
        loop.join()
    for job_id, (ok, value) in ended.items():
        if not ok:
            raise JobFailed(job_id, value)
    return {job_id: value for job_id, (_, value) in ended.items()}
