"""Buggy: `if` instead of `while` around Condition.wait().

notify_all() wakes every waiter, but only the first one to get the lock finds
what it waited for. The others do not check again: a consumer pops from an
empty deque (IndexError), a producer appends to a full buffer (it grows past
its capacity).
"""

LOSES = ["recheck_after_wakeup", "every_schedule"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '            if not self._changed.wait_for(lambda: len(self._items) < self.capacity, timeout):\n'
        '                raise TimeoutError(f"buffer still full after {timeout} s")\n',

        '            if len(self._items) >= self.capacity:\n'
        '                if not self._changed.wait(timeout):\n'
        '                    raise TimeoutError("buffer full")\n',
    ),
    (
        '            if not self._changed.wait_for(lambda: self._items, timeout):\n'
        '                raise TimeoutError(f"buffer still empty after {timeout} s")\n',

        '            if not self._items:\n'
        '                if not self._changed.wait(timeout):\n'
        '                    raise TimeoutError("buffer empty")\n',
    ),
]

