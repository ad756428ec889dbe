"""Buggy: simulate() raises as soon as one worker reports an error.

Every worker signals when it ends; the first signal that comes with an error
makes simulate() raise at once, while the other workers may still be inside
the rule.
"""

LOSES = ["stop_and_join", "every_schedule"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '    errors: list[BaseException] = []\n',

        '    errors: list[BaseException] = []\n'
        '    finished = threading.Semaphore(0)\n',
    ),
    (
        '            errors.append(error)\n'
        '            barrier.abort()\n',

        '            errors.append(error)\n'
        '            barrier.abort()\n'
        '        finally:\n'
        '            finished.release()\n',
    ),
    (
        '    for thread in threads:\n'
        '        thread.join()\n'
        '    if errors:\n'
        '        raise errors[0]',

        '    for _ in threads:\n'
        '        finished.acquire()\n'
        '        if errors:\n'
        '            raise errors[0]\n'
        '    for thread in threads:\n'
        '        thread.join()',
    ),
]
