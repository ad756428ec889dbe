"""Buggy: a cancelled fan_out returns what it has instead of being cancelled.

The TaskGroup is right, but `except asyncio.CancelledError:` around it returns
the results that were ready. The caller asked to stop (a timeout, a shutdown)
and is told that fan_out finished: asyncio.timeout never raises TimeoutError,
and a cancelled task carries on as if nothing happened.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Sequence

LOSES = ["cancellation_propagates"]


async def fan_out(jobs: Sequence[Callable[[], Awaitable[Any]]]) -> list[Any]:
    tasks: list[asyncio.Task] = []
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(job()) for job in jobs]
    except asyncio.CancelledError:
        return [task.result() for task in tasks if task.done() and not task.cancelled()]
    return [task.result() for task in tasks]
