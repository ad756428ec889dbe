"""Known-buggy: results come out as chunks complete even with ordered=True.

The reorder buffer is skipped, so when a later chunk finishes first its
results are handed over first. On a quiet machine small tests still pass;
the gate workload (item 0 finishes last on purpose) shows it every time.
"""

LOSES = ["local_in_order"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '                    if ordered:\n'
        '                        finished[number] = outcome\n'
        '                        continue\n'
        '                    outstanding -= 1\n',

        '                    outstanding -= 1  # BUG: ignores `ordered`\n',
    ),
]

