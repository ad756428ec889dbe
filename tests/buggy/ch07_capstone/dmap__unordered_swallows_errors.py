"""Known-buggy: with ordered=False, an error outcome is dropped quietly.

The unordered path hands over a chunk's results without looking at
`ok`: the failing item and the rest of its chunk vanish, and the caller
gets a shorter list and no exception. The ordered path is right, so a
test of errors in input order alone does not notice.
"""

LOSES = ['errors_and_timeout']

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '                    outstanding -= 1\n'
        '                    yield from _results(outcome, number * size)\n',

        '                    outstanding -= 1\n'
        '                    yield from outcome["results"]\n',
    ),
]
