"""word_count never closes its pool.

It takes the results of pool.map and returns, leaving the worker processes
running until the pool happens to be garbage-collected. The rest is right.
"""

LOSES = ["in_processes"]

PATCH = [
    (
        "    with context.Pool(workers) as pool:  # raises ValueError itself for workers < 1\n"
        "        partials = pool.map(counter, list(texts))  # every result is in: the exit may terminate\n",
        "    pool = context.Pool(workers)\n    partials = pool.map(counter, list(texts))\n",
    ),
]
