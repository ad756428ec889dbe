"""Exercise: fan out with one failure cancelling the rest.

`asyncio.gather(*jobs)` raises the first error and leaves the other jobs
running, orphaned: nobody awaits them, nobody sees their errors, and their
cleanup happens whenever it happens. Build `fan_out(jobs)` with the guarantees
of structured concurrency: when it returns or raises, every job it started has
finished.

Hazards: orphaned tasks; a CancelledError caught and not re-raised (the caller's
timeout silently stops working); raising before the cancelled jobs have
finished their cleanup.
Useful tools: asyncio.TaskGroup (Python 3.11+).
"""

from __future__ import annotations

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
    raise NotImplementedError("TODO: a task per job, owned by something that cancels and waits")
