"""Buggy: time.sleep instead of asyncio.sleep.

The waiting acquirer blocks the whole event loop: no other task runs while
it waits, and the loop's clock (which is what the bucket is measured on) does
not even move.
"""

LOSES = ["burst_then_rate", "concurrent"]

PATCH = [
    ("import asyncio\n", "import asyncio\nimport time\n"),
    ("                await asyncio.sleep((1 - self._tokens) / self.rate)\n",
     "                time.sleep((1 - self._tokens) / self.rate)\n"),
]
