"""Buggy: readers are always preferred, so writers can starve.

The textbook first attempt: a reader enters whenever no writer is inside, even
when a writer has been waiting for a long time. While readers keep overlapping
(a busy cache), the reader count never drops to zero and the writer waits
forever. Sharing and exclusion are both right; only fairness is missing.
"""

LOSES = ["no_writer_starvation"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '        self._writers_waiting = 0\n',

        "",
    ),
    (
        '            self._changed.wait_for(lambda: self._writer is None and not self._writers_waiting)\n',

        '            self._changed.wait_for(lambda: self._writer is None)\n',
    ),
    (
        '            self._writers_waiting += 1\n'
        '            try:\n'
        '                self._changed.wait_for(lambda: self._writer is None and not self._readers)\n'
        '            finally:\n'
        '                self._writers_waiting -= 1\n',

        '            self._changed.wait_for(lambda: self._writer is None and not self._readers)\n',
    ),
]
