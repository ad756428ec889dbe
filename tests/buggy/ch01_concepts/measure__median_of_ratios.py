"""Takes the speedup as the median of pairwise ratios serial[i] / parallel[i].

That pairs runs that have nothing to do with each other, drops the extra runs of
the longer side, and is not the ratio of the two medians. Everything else is right.
"""

LOSES = ['speedup']

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '    return summarize(serial_times).median / summarize(parallel_times).median',

        '    return statistics.median(s / p for s, p in zip(serial_times, parallel_times))',
    ),
]
