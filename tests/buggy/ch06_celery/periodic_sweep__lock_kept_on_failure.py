"""Buggy: the lock is released only when the run succeeds.

One failing handle() leaves the lock taken: every later run "skips", and
nothing is ever swept again.
"""

LOSES = ["lock_released"]

PATCH = [
    (
        '        try:\n'
        '            keys = store.expired()\n'
        '            for key in keys:\n'
        '                handle(key)\n'
        '                store.delete(key)\n'
        '            return len(keys)\n'
        '        finally:\n'
        '            store.delete(LOCK)',
        '        keys = store.expired()\n'
        '        for key in keys:\n'
        '            handle(key)\n'
        '            store.delete(key)\n'
        '        store.delete(LOCK)\n'
        '        return len(keys)',
    ),
]
