"""Exercise: an async rate limiter (a token bucket) on the event loop's clock.

An API allows 10 requests a second with bursts of up to 20. Build
`TokenBucket(rate, capacity)` whose `await bucket.acquire()` lets a caller
through only when that keeps within the limit, and otherwise waits just long
enough: never blocking the event loop, never letting a burst through.

Hazards: a check and a take split by an await (every waiter sees the same
free token, all of them take it: a burst); tokens that pile up while the
bucket is idle; time.sleep instead of asyncio.sleep; the wall clock instead
of the loop's (the tests run on a loop whose clock they control).
Useful tools: asyncio.get_running_loop().time(), asyncio.sleep, asyncio.Lock.
"""

from __future__ import annotations

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
        raise NotImplementedError("TODO: check the arguments; keep tokens, the time they were counted, a lock")

    async def acquire(self) -> None:
        """Take one token, waiting (asyncio.sleep) until one has flowed back."""
        raise NotImplementedError("TODO: refill from the loop's clock, wait for the missing part, take one")
