"""Known-buggy: everything runs one chunk at a time behind a parallel-looking API.

Each chunk is submitted and then waited for before the next one is read, so
a cluster of N workers has one busy worker at any moment: the results are
right, the speedup is 1x. The overlap probe sees at most one worker inside.
"""

LOSES = ["processes_parallel"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '                    pending[runner.submit(task, chunk)] = (number, chunk, 0, None)\n',

        '                    future = runner.submit(task, chunk)\n'
        '                    pending[future] = (number, chunk, 0, None)\n',
    ),
    (
        '                    outstanding += 1\n',

        '                    outstanding += 1\n'
        '                    wait([future])  # BUG: waits for each chunk before sending the next\n',
    ),
]

