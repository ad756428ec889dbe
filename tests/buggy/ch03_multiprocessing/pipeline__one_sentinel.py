"""run_pipeline sends one sentinel for all the workers.

The first worker to take it stops; every other worker waits for a task that
never comes, so joining them hangs (here: until the timeout). The rest is right.
"""

LOSES = ["shutdown"]

PATCH = [
    (
        "        for _ in processes:\n            tasks.put(SENTINEL)\n",
        "        tasks.put(SENTINEL)\n",
    ),
]
