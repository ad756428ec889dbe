"""Exercise: a crawler with at most N fetches in flight and a timeout per fetch.

`asyncio.gather(*(fetch(url) for url in urls))` starts every fetch at once:
10,000 URLs, 10,000 open connections, and a server that bans you. A fetch that
hangs holds up the whole crawl. Build `crawl(urls, fetch, limit=..., timeout=...)`
so that at most `limit` fetches are in flight, each gets `timeout` seconds, and a
failed or slow URL costs only its own entry.

Hazards: a slot taken and never given back when a fetch times out (the crawl
slows down, then stops); a timeout that also counts the time spent waiting for
a slot; tasks left running after crawl returns.
Useful tools: asyncio.Semaphore, asyncio.timeout, asyncio.TaskGroup.
"""

from __future__ import annotations

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
    raise NotImplementedError("TODO: a Semaphore for the slots, a timeout per fetch, a task per URL")
