"""Holds the lock only for the write: the read before it can still be stale."""

LOSES = ["threads"]

PATCH = [
    (
        "        with self._lock:\n"
        "            current = self.value\n"
        "            self._io()\n"
        "            self.value = current + 1\n",

        "        current = self.value\n"
        "        self._io()\n"
        "        with self._lock:\n"
        "            self.value = current + 1\n",
    ),
]
