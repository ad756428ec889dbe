"""Known-buggy: checks its arguments only at the first next().

`imap` itself contains `yield` (a `yield from` of the real work), so
calling it runs nothing: `imap(f, xs, chunksize=0)` returns an iterator,
and the ValueError surfaces wherever the iterator is first consumed,
perhaps never, far from the line that made the mistake.
"""

LOSES = ['eager_checks']

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '    check_arguments(fn, backend, workers, chunksize, timeout, retries)\n'
        '    deadline = None if timeout is None else time.monotonic() + timeout\n'
        '    return _imap(fn, items, backend, workers, chunksize, ordered, timeout, deadline, retries)\n',

        '    check_arguments(fn, backend, workers, chunksize, timeout, retries)\n'
        '    deadline = None if timeout is None else time.monotonic() + timeout\n'
        '    yield from _imap(fn, items, backend, workers, chunksize, ordered, timeout, deadline, retries)\n',
    ),
]
