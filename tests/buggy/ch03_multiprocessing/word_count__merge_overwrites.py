"""merge_counts keeps the last count of a word instead of adding them up.

`total.update(partial)` replaces a word's count with the next partial's: a
word that occurs in two texts is counted once. The rest is right.
"""

LOSES = ["count_one", "in_processes"]

PATCH = [
    (
        "        for word, count in partial.items():\n            total[word] = total.get(word, 0) + count\n",
        "        total.update(partial)\n",
    ),
]
