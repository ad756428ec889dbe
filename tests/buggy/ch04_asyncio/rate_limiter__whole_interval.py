"""Buggy: a waiter always sleeps a whole interval, 1/rate.

It ignores the part of a token that has already flowed back: callers wait
longer than the limit requires, and a partly refilled bucket is slow.
"""

LOSES = ["capped"]

PATCH = [
    ("                await asyncio.sleep((1 - self._tokens) / self.rate)\n",
     "                await asyncio.sleep(1 / self.rate)\n"),
]
