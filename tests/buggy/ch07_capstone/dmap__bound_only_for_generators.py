"""Known-buggy: the in-flight bound is kept only for inputs without a length.

A list "is already in memory", so every chunk of it is submitted at
once: a million-item list queues a million-item backlog on the workers,
a timeout or an early close() abandons all of it, and an ordered map's
reorder buffer can grow with the whole input.
"""

LOSES = ['unordered_and_bounded']

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '        window = IN_FLIGHT_PER_WORKER * runner.workers\n',

        '        window = float("inf") if hasattr(items, "__len__") else IN_FLIGHT_PER_WORKER * runner.workers\n',
    ),
]
