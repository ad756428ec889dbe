"""word_count hands the counter to its workers through a module global.

It stores `counter` in a global before starting the pool and maps a
module-level wrapper that reads the global. A forked worker is a copy of the
caller and sees the new value; a spawn or forkserver worker imports the module
afresh and counts with the default count_words instead. The rest is right.
"""

LOSES = ["in_processes", "parallel"]

PATCH = [
    (
        "    with context.Pool(workers) as pool:  # raises ValueError itself for workers < 1\n        partials = pool.map(counter, list(texts))  # every result is in: the exit may terminate\n",
        "    global _COUNTER\n    _COUNTER = counter\n"
        "    with context.Pool(workers) as pool:  # raises ValueError itself for workers < 1\n        partials = pool.map(_count_with_global, list(texts))  # every result is in: the exit may terminate\n",
    ),
    (
        "Counts = dict[str, int]\n",
        "Counts = dict[str, int]\n_COUNTER = None\n\n\ndef _count_with_global(text):\n"
        "    return (_COUNTER or count_words)(text)\n",
    ),
]
