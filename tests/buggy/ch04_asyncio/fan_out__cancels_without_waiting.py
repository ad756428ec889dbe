"""Buggy: the other jobs are cancelled but not waited for.

asyncio.wait(..., return_when=FIRST_EXCEPTION), then task.cancel() on the
pending ones and raise at once. cancel() only asks: the jobs have not run
their cleanup yet when fan_out raises, and they are still tasks of the loop.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Sequence

LOSES = ["failure_cancels_rest"]


async def fan_out(jobs: Sequence[Callable[[], Awaitable[Any]]]) -> list[Any]:
    tasks = [asyncio.ensure_future(job()) for job in jobs]
    if not tasks:
        return []
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    errors = [task.exception() for task in tasks if task in done and task.exception() is not None]
    if errors:
        for task in pending:
            task.cancel()
        raise ExceptionGroup("a job failed", errors)
    return [task.result() for task in tasks]
