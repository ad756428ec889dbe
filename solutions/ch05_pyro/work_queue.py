"""A work queue that idle workers pull from, with leases (reference solution).

A worker that dies mid-job sends no message about it. So a job is never given
away for good, only leased: if its worker has not reported it done by the end
of the lease, the job waits again for the next worker. A result counts once:
only the worker that holds the job's current lease may report it, so a late
answer from a worker presumed dead cannot make the job done twice.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

import Pyro5.api


class WorkQueue:
    """One queue served by a daemon; every worker calls it from its own connection thread."""

    def __init__(self, lease: float = 5.0, clock: Callable[[], float] = time.monotonic,
                 io: Callable[[], None] | None = None):
        if lease <= 0:
            raise ValueError(f"lease must be positive, got {lease!r}")
        self._lease = lease
        self._clock = clock
        self._io = io or (lambda: None)
        self._jobs: dict[str, Any] = {}  # job id -> payload, in the order put
        self._leases: dict[str, tuple[str, float]] = {}  # job id -> (worker, when the lease ends)
        self._results: dict[str, Any] = {}
        self._lock = threading.Lock()

    @Pyro5.api.expose
    def put(self, job_id: str, payload: Any) -> None:
        with self._lock:
            if job_id in self._jobs:
                raise ValueError(f"job {job_id!r} was put already")
            self._jobs[job_id] = payload

    @Pyro5.api.expose
    def take(self, worker: str) -> list | None:
        with self._lock:
            now = self._clock()
            for job_id, payload in self._jobs.items():
                if job_id in self._results:
                    continue
                lease = self._leases.get(job_id)
                if lease is None or lease[1] <= now:
                    self._io()
                    self._leases[job_id] = (worker, now + self._lease)
                    return [job_id, payload]
            return None

    @Pyro5.api.expose
    def done(self, worker: str, job_id: str, result: Any) -> bool:
        with self._lock:
            lease = self._leases.get(job_id)
            if job_id in self._results or lease is None or lease[0] != worker:
                return False
            self._results[job_id] = result
            return True

    @Pyro5.api.expose
    def results(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._results)
