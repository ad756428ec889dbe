"""Checks repeats and warmup only after the warm-up runs.

measure(fn, repeats=0) calls fn before it raises ValueError; the docstring asks
for the error before any call. Everything else is right.
"""

LOSES = ['time_each_repeat']

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '    _check_counts(repeats, warmup)\n    for _ in range(warmup):\n        fn()\n',

        '    for _ in range(warmup):\n        fn()\n    _check_counts(repeats, warmup)\n',
    ),
]
