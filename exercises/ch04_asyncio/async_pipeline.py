"""Exercise: a producer/consumer pipeline on a bounded asyncio.Queue, with a clean shutdown.

A producer reads items and puts them on a queue; a few consumers take them and
transform them. Two things are easy to get wrong: stopping (a consumer waiting
on an empty queue cannot tell "nothing yet" from "nothing ever", so it waits
forever, or it is cancelled while items are still queued and they are lost) and
memory (a producer that reads everything at once defeats the bounded queue).

Hazards: consumers that never end; items lost at shutdown; reading the whole
input up front; tasks left running after an error.
Useful tools: asyncio.Queue(maxsize), a sentinel object, asyncio.TaskGroup.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Iterable


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
    raise NotImplementedError("TODO: a producer, `workers` consumers, a queue between them, a way to stop")
