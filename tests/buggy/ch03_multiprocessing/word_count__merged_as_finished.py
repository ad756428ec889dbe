"""word_count merges the partial counts in the order the workers finish them.

imap_unordered hands back each text's counts as soon as it is done, so the
totals are right but the order of the words depends on which worker was
faster: the answer changes from run to run. The rest is right.
"""

LOSES = ["in_processes"]

PATCH = [
    (
        "        partials = pool.map(counter, list(texts))  # every result is in: the exit may terminate\n",
        "        partials = list(pool.imap_unordered(counter, list(texts)))\n",
    ),
]
