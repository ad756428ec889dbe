"""Known-buggy: an exception in `fn` is swallowed.

An error outcome is treated as a chunk whose results are "whatever came
back", so the caller gets a shorter list and no exception: the failing item
and everything after it in its chunk vanish without a trace.
"""

LOSES = ["errors_and_timeout"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '    yield from outcome["results"]\n'
        '    if not outcome["ok"]:\n'
        '        raise ItemError(start + outcome["offset"], outcome["type"], outcome["message"], outcome.get("traceback", ""))\n',

        '    yield from outcome["results"]  # BUG: an error outcome ends the chunk quietly\n',
    ),
]

