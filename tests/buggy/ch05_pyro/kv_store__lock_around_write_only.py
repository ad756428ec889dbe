"""increment reads the value and calls io() outside the lock; only the write is locked.

Two clients' increments both read the same old value while the other is in
io(), and both write old + 1: one update is lost. Locking the write alone
protects nothing; the read, io() and write must be one atomic step.
"""

LOSES = ["thread_safe"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        "        with self._lock:\n"
        "            current = self._data.get(key, 0)\n"
        "            if type(current) is not int:\n"
        "                raise TypeError(f\"cannot increment {key!r}: it holds a {type(current).__name__}\")\n"
        "            self._io()\n"
        "            self._data[key] = current + by\n",

        "        current = self._data.get(key, 0)\n"
        "        if type(current) is not int:\n"
        "            raise TypeError(f\"cannot increment {key!r}: it holds a {type(current).__name__}\")\n"
        "        self._io()\n"
        "        with self._lock:\n"
        "            self._data[key] = current + by\n",
    ),
]
