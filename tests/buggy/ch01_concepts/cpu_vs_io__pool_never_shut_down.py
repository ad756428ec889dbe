"""run_cpu_bound never shuts its process pool down.

The results are right, but the worker processes are still running when it
returns (they go away only when the pool is garbage-collected). The rest is right.
"""

LOSES = ['cpu_in_processes']

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '    with ProcessPoolExecutor(max_workers=workers, mp_context=mp_context) as pool:\n        return list(pool.map(fn, items))\n',

        '    pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp_context)\n    return list(pool.map(fn, items))\n',
    ),
]
