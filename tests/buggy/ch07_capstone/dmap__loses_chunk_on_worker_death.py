"""Known-buggy: a chunk whose worker died is dropped instead of retried.

The map treats `WorkerLost` like a finished chunk with no results: every
item of the lost chunk silently disappears from the output, and the map
returns a shorter list without an error. Fault tolerance means resubmitting
exactly the lost chunk.
"""

LOSES = [5, 6]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '                        pending[runner.submit(task, chunk)] = (number, chunk, attempts + 1)\n',

        '                        if ordered:  # BUG: the lost chunk counts as done, with no results\n'
        '                            finished[number] = {"ok": True, "results": []}\n'
        '                        else:\n'
        '                            outstanding -= 1\n',
    ),
]

