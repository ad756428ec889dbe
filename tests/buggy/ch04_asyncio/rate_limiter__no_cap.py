"""Buggy: the refill is not capped at the capacity.

While the bucket is idle, tokens keep piling up (rate x idle time): after a
quiet minute, a burst of hundreds of requests goes through at once.
"""

LOSES = ["capped"]

PATCH = [
    ("            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)\n",
     "            self._tokens = self._tokens + (now - self._updated) * self.rate\n"),
]
