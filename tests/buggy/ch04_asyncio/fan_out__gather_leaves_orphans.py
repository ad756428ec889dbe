"""Buggy: asyncio.gather, with its error wrapped in an ExceptionGroup.

gather raises the first job's error as soon as it happens and leaves every
other job running: nobody cancels them, nobody waits for their cleanup, and
they go on after fan_out has raised, orphaned.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Sequence

LOSES = ["failure_cancels_rest"]


async def fan_out(jobs: Sequence[Callable[[], Awaitable[Any]]]) -> list[Any]:
    try:
        return list(await asyncio.gather(*(job() for job in jobs)))
    except Exception as error:
        raise ExceptionGroup("a job failed", [error]) from None
