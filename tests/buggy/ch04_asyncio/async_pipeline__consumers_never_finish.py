"""Buggy: no sentinels; the consumers loop on `await queue.get()` forever.

Every item is transformed, and then every consumer waits for an item that
never comes: the TaskGroup waits for its consumers, so run_pipeline never
returns.
"""

LOSES = ["every_item", "clean_shutdown"]

PATCH = [
    ("        for _ in range(workers):\n"
     "            await queue.put(_DONE)  # behind every item: consumers end only when it is all taken\n",
     ""),
]
