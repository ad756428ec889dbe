"""A token bucket on the event loop's clock (reference solution).

The tokens are computed, not counted down by a timer: whenever an acquirer
looks, the bucket adds rate x (time since it last looked), capped at capacity.
An asyncio.Lock (FIFO) lets one acquirer at a time check, wait and take, so
nobody can take the token another one was waiting for (the check and the
take are not split by an await that lets a second waiter in), and acquirers
get through in the order they came. Waiting is asyncio.sleep: the loop runs on.
"""

from __future__ import annotations

import asyncio


class TokenBucket:
    """At most `capacity` acquisitions at once, and `rate` a second on average.

    The bucket holds at most `capacity` tokens and is full until its first
    acquire. Tokens flow back continuously at `rate` per second of the event
    loop's clock (loop.time()), never beyond `capacity`. acquire() takes one
    token, first waiting (with asyncio.sleep, never blocking the loop) exactly
    until one has flowed back. So n acquirers arriving together at a full
    bucket get through at once for the first `capacity` of them and then one
    every 1/rate seconds, in the order they called acquire(). An acquire that
    is cancelled while it waits takes no token. rate <= 0 or capacity < 1:
    ValueError.
    """

    def __init__(self, rate: float, capacity: int):
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate!r}")
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity!r}")
        self.rate = rate
        self.capacity = capacity
        self._tokens = float(capacity)
        self._updated: float | None = None  # loop time of the last refill; None until first used
        self._turn = asyncio.Lock()  # one acquirer at a time, first come first served

    def _refill(self) -> None:
        now = asyncio.get_running_loop().time()
        if self._updated is not None:
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    async def acquire(self) -> None:
        """Take one token, waiting (asyncio.sleep) until one has flowed back."""
        async with self._turn:
            self._refill()
            if self._tokens < 1:
                await asyncio.sleep((1 - self._tokens) / self.rate)
                self._refill()
            self._tokens -= 1
