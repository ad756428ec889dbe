"""run_io_bound starts one thread per item, ignoring `workers`, and loses exceptions.

With many items that is many threads at once, not a pool of `workers`; and an
exception raised in a thread dies with it instead of reaching the caller.
"""

LOSES = ['io_in_threads']

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '    with ThreadPoolExecutor(max_workers=workers) as pool:\n        return list(pool.map(fn, items))\n',

        '    items = list(items)\n    results = [None] * len(items)\n\n    def run(i, item):\n        results[i] = fn(item)\n\n    threads = [threading.Thread(target=run, args=(i, item)) for i, item in enumerate(items)]\n    for thread in threads:\n        thread.start()\n    for thread in threads:\n        thread.join()\n    return results\n',
    ),
    (
        'import time\n',

        'import threading\nimport time\n',
    ),
]
