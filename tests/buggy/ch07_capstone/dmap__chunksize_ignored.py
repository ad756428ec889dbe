"""Known-buggy: the caller's chunksize is ignored.

The map always picks its own chunk size, so `chunksize=1` (balance
for a few costly items) or a large chunksize (cheap messaging) change
nothing. Results are still right and in order: only the chunks the
workers receive show it.
"""

LOSES = ['chunks_as_asked']

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '        size = choose_chunksize(items, runner, chunksize)\n',

        '        size = choose_chunksize(items, runner, None)\n',
    ),
]
