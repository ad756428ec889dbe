"""Divides by a median of 0: summarize([0.0]) raises ZeroDivisionError, not ValueError.

A coarse clock can report 0 s runs; the spread is then undefined and the docstring
asks for ValueError. Everything else is right.
"""

LOSES = ['summary', 'speedup']

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '    if median <= 0:\n        raise ValueError(f"the median timing is {median!r}: the spread is undefined (is the clock too coarse?)")\n',

        '',
    ),
]
