"""Buggy: every fetch starts at once.

`asyncio.gather(*(one(url) for url in urls))` with a timeout per fetch and no
semaphore: the results are right and the timeouts work, but 10,000 URLs mean
10,000 requests in flight at the same moment. `limit` is never used.
"""

LOSES = ["bounded"]

PATCH = [
    ("        async with slots:  # given back on every way out, cancellation included\n"
     "            try:\n"
     "                async with asyncio.timeout(timeout):  # opened after the slot: the fetch's own time\n"
     "                    return await fetch(url)\n"
     "            except Exception:  # TimeoutError or the fetch's own error; never CancelledError\n"
     "                return None\n",
     "        try:\n"
     "            async with asyncio.timeout(timeout):\n"
     "                return await fetch(url)\n"
     "        except Exception:\n"
     "            return None\n"),
    ("    async with asyncio.TaskGroup() as group:\n"
     "        tasks = [group.create_task(one(url)) for url in urls]\n"
     "    return [task.result() for task in tasks]\n",
     "    return list(await asyncio.gather(*(one(url) for url in urls)))\n"),
]
