"""Exercise: a work queue that idle workers pull from, where a dead worker's job is redone once.

Workers are separate programs that call the queue through Pyro proxies: an
idle worker asks for a job (`take`), works on it, and reports the result
(`done`). A worker that dies mid-job sends no message about it: its
connection may just go quiet. So the queue never gives a job away for good,
it lends it for `lease` seconds. A job whose lease ran out before its result
came back waits again, and the next idle worker takes it.

Then the first worker may not be dead after all, only slow, and report the
job later. A result counts once: only the worker holding the job's current
lease may report it.

The daemon serves ONE queue for every worker, from many threads at once. In
`take`, call `io()` exactly once, between choosing the job and recording its
lease: the tests pass an `io` that lets other threads run there, so two
workers that could be handed the same job will be.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import Pyro5.api


class WorkQueue:
    """WorkQueue(lease=5.0, clock=time.monotonic, io=None).

    `lease` (> 0, else ValueError): how many seconds a worker may hold a job.
    `clock`: a callable returning the time in seconds (the tests pass a clock
    they move by hand). `io`: see the module's docstring (None: nothing).

    Exposed to Pyro clients: exactly put, take, done and results.
    """

    def __init__(self, lease: float = 5.0, clock: Callable[[], float] = time.monotonic,
                 io: Callable[[], None] | None = None):
        raise NotImplementedError("TODO")

    def put(self, job_id: str, payload: Any) -> None:
        """Add a job. An id that was put before (even one already done) is a ValueError."""
        raise NotImplementedError("TODO")

    def take(self, worker: str) -> list | None:
        """Lend `worker` the first waiting job, in the order the jobs were put; return
        [job_id, payload], or None when no job waits.

        A job waits when it is not done and either was never taken or its lease
        has ended: a lease taken at clock() == t ends at t + lease (at that
        very moment the job waits again). The new lease runs from clock() now.
        """
        raise NotImplementedError("TODO")

    def done(self, worker: str, job_id: str, result: Any) -> bool:
        """Record `result` for `job_id` if `worker` holds the job's lease; return True.

        Return False, changing nothing, if the job is already done, was never
        taken (or is unknown), or its lease is held by another worker. A worker
        whose lease ran out but whose job nobody has taken since still holds it.
        """
        raise NotImplementedError("TODO")

    def results(self) -> dict[str, Any]:
        """{job_id: result} of every job done so far (a copy)."""
        raise NotImplementedError("TODO")
