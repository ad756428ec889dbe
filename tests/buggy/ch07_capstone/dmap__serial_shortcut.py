"""Known-buggy: the serial backend is special-cased as a plain loop.

`backend == "serial"` returns `[fn(x) for x in items]`: the caller gets
the raw exception instead of ItemError (no `.index`), `timeout` is
ignored, and the input is read all at once.
"""

LOSES = ['errors_and_timeout']

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '    check_arguments(fn, backend, workers, chunksize, timeout, retries)\n',

        '    check_arguments(fn, backend, workers, chunksize, timeout, retries)\n'
        '    if backend == "serial":\n'
        '        return iter([fn(x) for x in items])\n',
    ),
]
