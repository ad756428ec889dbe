"""A producer/consumer pipeline on a bounded asyncio.Queue (reference solution).

The producer reads the items lazily and puts them on a queue of `maxsize`:
`await queue.put` waits while the queue is full, so reading never runs far
ahead of the work (backpressure). After the last item it puts one sentinel
per consumer; a consumer ends when it takes one. The sentinels queue up behind
the items, so every item is taken before any consumer ends: nothing is lost at
shutdown. A TaskGroup owns the tasks: when a transform fails it cancels the
producer and the other consumers and waits for them.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Iterable

_DONE = object()  # the sentinel: no more items


async def run_pipeline(
    items: Iterable[Any], transform: Callable[[Any], Awaitable[Any]], *, workers: int, maxsize: int
) -> list[Any]:
    """Transform every item with `workers` consumer tasks fed through a queue of `maxsize`.

    One producer task reads `items` (any iterable, read lazily, once) and puts
    them in order on an asyncio.Queue(maxsize); `workers` consumer tasks take
    them and await transform(item), up to `workers` transforms at once.
    Returns the results in the order of `items`, every item transformed
    exactly once; no items: []. Backpressure: at no moment have more than
    maxsize + workers + 1 items been read from `items` without their transform
    having finished. Shutdown: when the items run out, the consumers finish
    every item still queued and then end; run_pipeline returns only when the
    producer and every consumer have ended. If a transform raises, the
    producer stops reading, the other tasks are cancelled and waited for, and
    run_pipeline raises that exception (the first one, if several). workers < 1
    or maxsize < 1: ValueError, before any item is read.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers!r}")
    if maxsize < 1:
        raise ValueError(f"maxsize must be at least 1, got {maxsize!r}")
    queue: asyncio.Queue = asyncio.Queue(maxsize)
    results: dict[int, Any] = {}

    async def produce() -> None:
        for index, item in enumerate(items):
            await queue.put((index, item))  # waits while the queue is full
        for _ in range(workers):
            await queue.put(_DONE)  # behind every item: consumers end only when it is all taken

    async def consume() -> None:
        while (job := await queue.get()) is not _DONE:
            index, item = job
            results[index] = await transform(item)

    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(produce())
            for _ in range(workers):
                group.create_task(consume())
    except ExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [results[index] for index in range(len(results))]
