"""add holds a lock made when the module is imported, not the array's own.

A forked worker inherits the parent's lock, so under fork the workers do share
it; a spawn or forkserver worker imports the module afresh and makes a lock of
its own, which excludes nobody: updates are lost. The rest is right.
"""

LOSES = ["add", "no_lost_update"]

PATCH = [
    ("    with histogram.get_lock():\n", "    with _LOCK:\n"),
    ("def _no_pause() -> None:\n", "_LOCK = multiprocessing.Lock()\n\n\ndef _no_pause() -> None:\n"),
]
