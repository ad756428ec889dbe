"""Accepts any positive number of workers: `n <= 0` is rejected, but 0.5 workers is not.

Fewer than one worker is as impossible as a fraction outside [0, 1]; both laws must
refuse n < 1. The formulas are right.
"""

LOSES = ['amdahl', 'gustafson']

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '    if n < 1:\n',

        '    if n <= 0:\n',
    ),
]
