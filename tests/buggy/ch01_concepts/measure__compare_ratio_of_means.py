"""compare() reports the ratio of the mean times as its speedup.

One slow run drags a mean; the Comparison's speedup must be the ratio of the
medians, as speedup() computes it. Everything else is right.
"""

LOSES = ['interleaved_baseline']

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '    return Comparison(summarize(serial_times), summarize(parallel_times), speedup(serial_times, parallel_times))',

        '    return Comparison(summarize(serial_times), summarize(parallel_times), statistics.mean(serial_times) / statistics.mean(parallel_times))',
    ),
]
