"""Fan out with a TaskGroup: one failure cancels the rest (reference solution).

The TaskGroup is the whole answer: it starts every job as a task, and when one
raises it cancels the others and waits for them (their cleanup runs) before
raising an ExceptionGroup of the failures. When fan_out itself is cancelled,
the group cancels and waits for its tasks, then lets CancelledError go on.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Sequence


async def fan_out(jobs: Sequence[Callable[[], Awaitable[Any]]]) -> list[Any]:
    """Run every job concurrently; return their results in the order of `jobs`.

    Every job is started before fan_out waits for any of them. If a job raises
    an Exception, every job still running is cancelled, fan_out waits until
    each of them has finished (its cleanup, `finally` blocks that await
    included, has run) and then raises an ExceptionGroup of the exceptions the
    failing jobs raised (not the cancelled ones), as asyncio.TaskGroup does.
    If fan_out is cancelled, it cancels every job still running, waits for
    them in the same way and lets CancelledError propagate: it never swallows
    it. No jobs: []. Whether it returns or raises, no task it started is left.
    """
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(job()) for job in jobs]
    return [task.result() for task in tasks]
