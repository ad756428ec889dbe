"""Buggy: release_write checks only that somebody writes, not who.

release_write() from a thread that does not hold the lock is accepted while
another thread writes: the lock is free again, and readers walk in on the
writer.
"""

LOSES = ["exclusive_writer", "every_schedule"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '            if self._writer != threading.get_ident():',

        '            if self._writer is None:',
    ),
]
