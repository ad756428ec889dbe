"""Acquires and releases the lock by hand, without try/finally.

If pause() raises, the lock is never released, and the next increment() from any
thread waits forever. Everything else is right.
"""

LOSES = ['no_lost_update']

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '        with self._lock:\n            current = self._value\n            self._pause()\n            self._value = current + amount\n',

        '        self._lock.acquire()\n        current = self._value\n        self._pause()\n        self._value = current + amount\n        self._lock.release()\n',
    ),
]
