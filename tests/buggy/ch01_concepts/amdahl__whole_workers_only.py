"""Rounds the number of workers down to a whole number in Amdahl's law.

n is a float and need not be whole (an average number of busy cores, say):
amdahl_speedup(0.5, 2.5) is 1 / (0.5 + 0.2), not the value for 2 workers.
The other laws are right.
"""

LOSES = ['amdahl']

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '    return 1.0 / ((1.0 - p) + p / n)',

        '    return 1.0 / ((1.0 - p) + p / int(n))',
    ),
]
