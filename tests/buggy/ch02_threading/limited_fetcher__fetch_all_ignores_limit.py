"""Buggy: fetch_all bounds itself by its pool size, not by the fetcher's semaphore.

Alone, fetch_all keeps `limit` downloads in flight. But its downloads do not
take the semaphore, so fetch() calls from other threads, or a second
fetch_all, run on top of them: one of the two entry points ignores the limit.
"""

LOSES = ["at_most_limit"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool:\n'
        '            return list(pool.map(self.fetch, urls))',

        '        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool:\n'
        '            return list(pool.map(self._download, urls))',
    ),
]
