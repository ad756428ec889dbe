"""The client retries until the ledger answers, with no deadline.

A ledger that never comes back keeps the caller waiting forever: no error, no
way out. The deadline bounds how long a call may try.
"""

LOSES = ["gives_up"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        "                if time.monotonic() >= give_up:\n"
        "                    raise\n",

        "",
    ),
]
