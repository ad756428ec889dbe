"""Known-buggy: an off-by-one in the retry limit: retries=2 runs a poison item four times."""

LOSES = ["retry_exactly_once"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '                        if attempts >= retries:\n',

        '                        if attempts > retries:  # BUG: one run too many\n',
    ),
]
