"""The dispatcher uses the listener proxy from the oneway call's own thread without claiming it.

The proxy was unpacked in the daemon's connection thread; Pyro refuses a call
from another thread ("the calling thread is not the owner of this proxy"). The
oneway call dies quietly in its thread and the client hears nothing.
"""

LOSES = ["dispatcher"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        "        listener._pyroClaimOwnership()\n",

        "",
    ),
]
