"""Buggy: runs do not check for each other.

A run that starts while a slow one is still handling keys handles the same
keys again.
"""

LOSES = ["no_overlap"]

PATCH = [
    ('        if not store.add(LOCK, "held"):\n            return "skipped"\n', '        store.add(LOCK, "held")\n'),
]
