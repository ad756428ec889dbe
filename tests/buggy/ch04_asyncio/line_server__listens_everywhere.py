"""Buggy: the server listens on every interface.

host=None (or "0.0.0.0") makes the server reachable from the whole network,
not only from this machine: anyone who can reach it can query the database.
"""

LOSES = ["replies"]

PATCH = [
    ('HOST = "127.0.0.1"  # this machine only: nothing outside can connect\n', "HOST = None\n"),
]
