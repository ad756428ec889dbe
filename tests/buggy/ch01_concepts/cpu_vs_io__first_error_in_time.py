"""run_io_bound re-raises the first exception to happen, not the first in item order.

[fn(item) for item in items] raises the error of the earliest failing item; with
as_completed a later item that fails sooner wins. The rest is right.
"""

LOSES = ['io_in_threads']

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '    with ThreadPoolExecutor(max_workers=workers) as pool:\n        return list(pool.map(fn, items))\n',

        '    with ThreadPoolExecutor(max_workers=workers) as pool:\n        futures = [pool.submit(fn, item) for item in items]\n        for future in as_completed(futures):\n            future.result()\n        return [future.result() for future in futures]\n',
    ),
    (
        'from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor\n',

        'from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed\n',
    ),
]
