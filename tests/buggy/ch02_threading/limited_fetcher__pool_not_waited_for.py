"""Buggy: the pool is shut down without waiting.

`shutdown(wait=False)` in a finally: a failed download's error reaches the
caller while the other downloads still run, and after a successful call the
pool's threads may still be alive.
"""

LOSES = ["ordered_pages", "failure_frees_slot"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool:\n'
        '            return list(pool.map(self.fetch, urls))',

        '        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch")\n'
        '        try:\n'
        '            return list(pool.map(self.fetch, urls))\n'
        '        finally:\n'
        '            pool.shutdown(wait=False)',
    ),
]
