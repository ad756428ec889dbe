"""Buggy: the consumers are cancelled as soon as the producer has put the last item.

The producer finishing means every item is *queued*, not *transformed*: the
items still in the queue, and the transforms in progress, are thrown away.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Iterable

LOSES = ["clean_shutdown"]


async def run_pipeline(
    items: Iterable[Any], transform: Callable[[Any], Awaitable[Any]], *, workers: int, maxsize: int
) -> list[Any]:
    if workers < 1 or maxsize < 1:
        raise ValueError("workers and maxsize must be at least 1")
    queue: asyncio.Queue = asyncio.Queue(maxsize)
    results: dict[int, Any] = {}

    async def consume() -> None:
        while True:
            index, item = await queue.get()
            results[index] = await transform(item)

    consumers = [asyncio.create_task(consume()) for _ in range(workers)]
    for index, item in enumerate(items):
        await queue.put((index, item))
    for consumer in consumers:
        consumer.cancel()
    await asyncio.gather(*consumers, return_exceptions=True)
    return [results[index] for index in sorted(results)]
