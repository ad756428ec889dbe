"""Buggy: no lock; the check and the take are split by an await.

Every waiter sees the bucket empty, sleeps the same time, wakes at the same
moment and takes a token, whether or not one is left: the tokens go negative
and a crowd of waiters gets through together, a burst over the limit. A race
without threads: the await is where another task runs.
"""

LOSES = ["concurrent"]

PATCH = [
    ("        async with self._turn:\n"
     "            self._refill()\n"
     "            if self._tokens < 1:\n"
     "                await asyncio.sleep((1 - self._tokens) / self.rate)\n"
     "                self._refill()\n"
     "            self._tokens -= 1\n",
     "        self._refill()\n"
     "        if self._tokens < 1:\n"
     "            await asyncio.sleep((1 - self._tokens) / self.rate)\n"
     "            self._refill()\n"
     "        self._tokens -= 1\n"),
]
