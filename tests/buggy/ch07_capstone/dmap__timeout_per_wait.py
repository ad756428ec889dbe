"""Known-buggy: the timeout bounds each wait for the next chunk, not the whole map.

As long as some chunk finishes within `timeout` seconds of the previous one,
the map never times out, however long it runs in all.
"""

LOSES = ["errors_and_timeout"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '                remaining = None if deadline is None else max(0.0, deadline - time.monotonic())\n',

        '                remaining = timeout  # BUG: restarts the clock at every wait\n',
    ),
]
