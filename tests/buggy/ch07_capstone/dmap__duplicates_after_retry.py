"""Known-buggy: after a lost worker, every pending chunk is resubmitted "to be safe".

The old futures stay in `pending`, so the chunks that were not lost run
twice and, with ordered=False, their results are handed over twice. Only the
lost chunk may be resubmitted; a retry must never duplicate a result.
"""

LOSES = ["retry_exactly_once", "pyro"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '                        else:\n'
        '                            pending[runner.submit(task, chunk)] = (number, chunk, attempts + 1, part)\n',

        '                        else:\n'
        '                            pending[runner.submit(task, chunk)] = (number, chunk, attempts + 1, part)\n'
        '                        for other, (n, c, a, p) in list(pending.items()):  # BUG: resubmits chunks still running\n'
        '                            if n != number:\n'
        '                                pending[runner.submit(task, c)] = (n, c, a, p)\n',
    ),
    (
        '                        continue\n'
        '                    outstanding -= 1\n',

        '                        continue\n'
        '                    outstanding = max(0, outstanding - 1)\n',
    ),
]
