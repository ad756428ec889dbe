"""Known-buggy: an item's error is raised as soon as its chunk comes back.

With ordered=True the results before the failing item must come first; here
a failing chunk that finishes before a slow earlier chunk skips them.
"""

LOSES = ["errors_and_timeout"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '                        continue\n'
        '                    if part is not None:\n',

        '                        continue\n'
        '                    if not outcome["ok"]:  # BUG: fails fast, before earlier chunks\n'
        '                        yield from _results(outcome, number * size + (part or 0))\n'
        '                    if part is not None:\n',
    ),
]
