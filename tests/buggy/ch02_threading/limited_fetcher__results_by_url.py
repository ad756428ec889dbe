"""Buggy: results are kept in a dict keyed by URL.

A URL listed twice is downloaded twice, but both places get the same result
(the later one overwrites the earlier).
"""

LOSES = ["ordered_pages"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool:\n'
        '            return list(pool.map(self.fetch, urls))',

        '        pages = {}\n'
        '        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool:\n'
        '            futures = {url: pool.submit(self.fetch, url) for url in urls}\n'
        '            for url, future in futures.items():\n'
        '                pages[url] = future.result()\n'
        '        return [pages[url] for url in urls]',
    ),
]
