"""Known-buggy: the whole input is read and submitted before the first result.

`list(chunked(...))` looks harmless on a list, but on an endless generator
it never returns, and on a large input every chunk is queued at once
(memory grows with the input, like Executor.map). In-flight work must be
bounded by the number of workers.
"""

LOSES = ["unordered_and_bounded"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '        chunks = enumerate(chunked(items, size))\n'
        '        window = IN_FLIGHT_PER_WORKER * runner.workers\n',

        '        chunks = iter(list(enumerate(chunked(items, size))))  # BUG: reads the whole input first\n'
        '        window = float("inf")  # BUG: no bound on the work in flight\n',
    ),
]

