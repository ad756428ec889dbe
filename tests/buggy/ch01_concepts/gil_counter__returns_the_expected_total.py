"""count_concurrently returns threads * per_thread instead of reading counter.value.

Right only for a counter that started at 0 and counted every increment; the
docstring asks for the counter's value after every thread finished.
"""

LOSES = ['start_then_join']

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '    return counter.value\n',

        '    return threads * per_thread\n',
    ),
]
