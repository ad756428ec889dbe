"""Rounds the parallel fraction read back from a speedup to 4 decimals.

A tidy number for a report, but not the value the inverted law gives: the
docstring asks for the fraction itself, and reports can round it. The laws are right.
"""

LOSES = ['fraction_from_speedup']

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '    return (1.0 - 1.0 / s) / (1.0 - 1.0 / n)',

        '    return round((1.0 - 1.0 / s) / (1.0 - 1.0 / n), 4)',
    ),
]
