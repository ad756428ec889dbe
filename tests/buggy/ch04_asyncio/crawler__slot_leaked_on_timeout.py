"""Buggy: a fetch that times out or fails never gives its slot back.

The slot is taken with `await slots.acquire()` and given back with
`slots.release()` after the fetch returned: when the fetch raises (its own
error, or TimeoutError from asyncio.timeout) the release is skipped. Each
failure costs a slot for good; after `limit` of them the crawl waits forever.
"""

LOSES = ["slots_freed"]

PATCH = [
    ("        async with slots:  # given back on every way out, cancellation included\n"
     "            try:\n"
     "                async with asyncio.timeout(timeout):  # opened after the slot: the fetch's own time\n"
     "                    return await fetch(url)\n"
     "            except Exception:  # TimeoutError or the fetch's own error; never CancelledError\n"
     "                return None\n",
     "        await slots.acquire()\n"
     "        try:\n"
     "            async with asyncio.timeout(timeout):\n"
     "                page = await fetch(url)\n"
     "        except Exception:\n"
     "            return None\n"
     "        slots.release()\n"
     "        return page\n"),
]
