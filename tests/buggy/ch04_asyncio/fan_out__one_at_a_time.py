"""Buggy: the jobs run one after another.

`[await job() for job in jobs]` inside a TaskGroup-free loop: the results are
right and an error stops the rest, but nothing runs concurrently, which was
the point of fanning out.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Sequence

LOSES = ["results"]


async def fan_out(jobs: Sequence[Callable[[], Awaitable[Any]]]) -> list[Any]:
    results = []
    for job in jobs:
        try:
            results.append(await job())
        except Exception as error:
            raise ExceptionGroup("a job failed", [error]) from None
    return results
