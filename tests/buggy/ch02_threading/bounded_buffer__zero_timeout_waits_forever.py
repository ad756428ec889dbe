"""Buggy: `if timeout:` treats a timeout of 0 like None.

get(timeout=0) on an empty buffer should raise TimeoutError at once; here it
waits forever, because 0 is false.
"""

LOSES = ["blocking_with_timeouts"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '            if not self._changed.wait_for(lambda: self._items, timeout):\n'
        '                raise TimeoutError',

        '            ready = self._changed.wait_for(lambda: self._items, timeout) if timeout else self._changed.wait_for(lambda: self._items)\n'
        '            if not ready:\n'
        '                raise TimeoutError',
    ),
]
