"""register() hands the daemon the class instead of an object.

Pyro then makes a new KeyValueStore for every client connection (instance mode
"session", the default): one client's put is invisible to the next client, and
the io callable given to register() is never used. Register one object you made.
"""

LOSES = ["shared_by_name"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        "    uri = daemon.register(KeyValueStore(io))\n",

        "    uri = daemon.register(KeyValueStore)\n",
    ),
]
