"""word_count counts every text in the calling process, one after another.

The results are right, but no worker process ever runs: a serial loop behind a
parallel API. The rest is right.
"""

LOSES = ["parallel"]

PATCH = [
    (
        "    with context.Pool(workers) as pool:  # raises ValueError itself for workers < 1\n"
        "        partials = pool.map(counter, list(texts))  # every result is in: the exit may terminate\n",
        "    partials = [counter(text) for text in texts]\n",
    ),
]
