"""Buggy: the producer reads the whole input before the work starts.

`list(items)` up front, then an unbounded queue: correct results, but a large
input is all in memory at once and the bounded queue bounds nothing.
"""

LOSES = ["backpressure"]

PATCH = [
    ("    queue: asyncio.Queue = asyncio.Queue(maxsize)\n",
     "    queue: asyncio.Queue = asyncio.Queue()\n    items = list(items)\n"),
]
