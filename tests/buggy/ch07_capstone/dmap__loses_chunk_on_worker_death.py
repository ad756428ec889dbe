"""Known-buggy: a chunk whose worker died is dropped instead of retried.

The map treats `WorkerLost` like a finished chunk with no results: every
item of the lost chunk silently disappears from the output, and the map
returns a shorter list without an error. Fault tolerance means resubmitting
exactly the lost chunk.
"""

LOSES = ["retry_exactly_once", "pyro"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '                        if part is None and len(chunk) > 1:\n'
        '                            # Which item killed the worker is unknown: retry the items one by\n'
        '                            # one, so a bad item uses up only its own retries.\n'
        '                            split[number] = [None] * len(chunk)\n'
        '                            for place, item in enumerate(chunk):\n'
        '                                pending[runner.submit(task, [item])] = (number, [item], attempts + 1, place)\n'
        '                        else:\n'
        '                            pending[runner.submit(task, chunk)] = (number, chunk, attempts + 1, part)\n',

        '                        if ordered:  # BUG: the lost chunk counts as done, with no results\n'
        '                            finished[number] = {"ok": True, "results": []}\n'
        '                        else:\n'
        '                            outstanding -= 1\n',
    ),
]
