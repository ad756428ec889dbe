"""The client looks the name up once and keeps the URI it found.

A ledger that crashed and came back listens on another port; the client keeps
knocking on the old one until its deadline passes. A PYRONAME proxy looks the
name up again on every new connection.
"""

LOSES = ["survives_restart"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        '        self._proxy = Pyro5.api.Proxy(f"PYRONAME:{name}@{ns_host}:{ns_port}")\n',

        "        with Pyro5.api.locate_ns(ns_host, ns_port) as ns:\n"
        "            self._proxy = Pyro5.api.Proxy(ns.lookup(name))\n",
    ),
]
