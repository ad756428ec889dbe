"""A crawler with at most N fetches in flight and a timeout per fetch (reference solution).

One asyncio.Semaphore bounds the fetches: a task takes a slot with `async with`,
so the slot comes back however the fetch ends (result, error, timeout or
cancellation). The timeout is opened inside the slot, so it counts only the
fetch's own time, not the wait for a slot. A TaskGroup owns the tasks: crawl
returns only after every one has finished, and a cancelled crawl cancels them.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Sequence


async def crawl(
    urls: Sequence[str], fetch: Callable[[str], Awaitable[Any]], *, limit: int, timeout: float
) -> list[Any]:
    """fetch(url) for every URL, `limit` at a time, each given `timeout` seconds.

    Returns one entry per URL, in the order of `urls`: what fetch(url) returned,
    or None when that fetch raised an Exception or ran longer than `timeout`
    seconds (it is cancelled then). One failed URL never stops the others.
    Never more than `limit` fetches run at once, and while URLs are left
    min(limit, len(urls)) do: a finished fetch's slot goes to the next URL at
    once. The timeout is counted on the event loop's clock from the moment that
    fetch starts, not while it waits for a slot. A URL listed twice is fetched
    twice; no URLs: []. limit < 1 or timeout <= 0: ValueError, before anything
    is fetched. crawl returns only when every fetch it started has finished;
    cancelling crawl cancels the fetches still running.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit!r}")
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, got {timeout!r}")
    slots = asyncio.Semaphore(limit)

    async def one(url: str) -> Any:
        async with slots:  # given back on every way out, cancellation included
            try:
                async with asyncio.timeout(timeout):  # opened after the slot: the fetch's own time
                    return await fetch(url)
            except Exception:  # TimeoutError or the fetch's own error; never CancelledError
                return None

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(one(url)) for url in urls]
    return [task.result() for task in tasks]
