"""Buggy: the timeout starts again after every wake-up.

`while not ready: if not wait(timeout): raise` waits up to `timeout` after
each notification: while other threads keep notifying, a put on a full buffer
never times out. A timeout is a deadline counted from the call (wait_for keeps it).
"""

LOSES = ["blocking_with_timeouts"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '            if not self._changed.wait_for(lambda: len(self._items) < self.capacity, timeout):\n'
        '                raise TimeoutError(f"buffer still full after {timeout} s")',

        '            while len(self._items) >= self.capacity:\n'
        '                if not self._changed.wait(timeout):\n'
        '                    raise TimeoutError(f"buffer still full after {timeout} s")',
    ),
    (
        '            if not self._changed.wait_for(lambda: self._items, timeout):\n'
        '                raise TimeoutError(f"buffer still empty after {timeout} s")',

        '            while not self._items:\n'
        '                if not self._changed.wait(timeout):\n'
        '                    raise TimeoutError(f"buffer still empty after {timeout} s")',
    ),
]
