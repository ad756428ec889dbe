"""Buggy: the URLs are fetched one after another.

`for url in urls: results.append(await one(url))` awaits each fetch before
starting the next: correct results, never more than `limit` in flight, and a
crawl `limit` times slower than it should be.
"""

LOSES = ["bounded"]

PATCH = [
    ("    async with asyncio.TaskGroup() as group:\n"
     "        tasks = [group.create_task(one(url)) for url in urls]\n"
     "    return [task.result() for task in tasks]\n",
     "    return [await one(url) for url in urls]\n"),
]
