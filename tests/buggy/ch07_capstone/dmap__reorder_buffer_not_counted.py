"""Known-buggy: a chunk stops counting as in flight when it finishes, not when it is handed over.

Chunks that finish early and wait in the reorder buffer for a slow first
chunk are not counted, so an ordered imap over an endless input keeps
reading while item 0 runs: memory grows without bound.
"""

LOSES = ["unordered_and_bounded"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '                        outcome = _joined(split.pop(number))\n'
        '                    if ordered:\n'
        '                        finished[number] = outcome\n'
        '                        continue\n'
        '                    outstanding -= 1\n',

        '                        outcome = _joined(split.pop(number))\n'
        '                    outstanding -= 1  # BUG: the reorder buffer is work in flight too\n'
        '                    if ordered:\n'
        '                        finished[number] = outcome\n'
        '                        continue\n',
    ),
    (
        '                    outcome = finished.pop(next_number)\n'
        '                    outstanding -= 1\n',

        '                    outcome = finished.pop(next_number)\n',
    ),
]
