"""Known-buggy: cleans up after a timeout, but not when the caller stops iterating.

`next(it); it.close()` leaves every submitted chunk running: the workers stay
busy for a caller that is gone.
"""

LOSES = ["errors_and_timeout"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '                if not done:\n',

        '                if not done:\n'
        '                    for future in pending:\n'
        '                        future.cancel()\n'
        '                    runner.abort()\n',
    ),
    (
        '        finally:\n'
        '            for future in pending:\n'
        '                future.cancel()\n'
        '            if any(not future.done() for future in pending):\n'
        '                runner.abort()\n',

        '        finally:\n'
        '            pass  # BUG: nothing stops the work when the caller closes the iterator\n',
    ),
]
