"""Writes the new value before calling pause(), not after.

The lock keeps it safe, but pause() must run between the read and the write: the
new value is visible during the pause, and a pause that raises leaves the count
changed. Everything else is right.
"""

LOSES = ['counts']

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '        with self._lock:\n            current = self._value\n            self._pause()\n            self._value = current + amount\n',

        '        with self._lock:\n            current = self._value\n            self._value = current + amount\n            self._pause()\n',
    ),
]
