"""Buggy: each worker gets len(cells) // workers cells; the rest belong to nobody.

With 10 cells and 3 workers, cell 9 is never computed again: it keeps a stale
value and its neighbours read it.
"""

LOSES = ["matches_serial", "every_schedule"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '    size, extra = divmod(length, workers)\n'
        '    parts, start = [], 0\n'
        '    for worker in range(workers):\n'
        '        end = start + size + (1 if worker < extra else 0)\n'
        '        parts.append(range(start, end))\n'
        '        start = end\n'
        '    return parts',

        '    size = length // workers\n'
        '    return [range(worker * size, (worker + 1) * size) for worker in range(workers)]',
    ),
]
