"""The workers find the histogram through a module global, not an argument.

The caller stores the array in a global before starting the workers. A forked
worker is a copy of the caller and sees it; a spawn or forkserver worker
imports the module afresh, finds None and fails. The rest is right.
"""

LOSES = ["in_processes", "no_lost_update"]

PATCH = [
    (
        "def _count(histogram, items: list[int], pause: Callable[[], None]) -> None:\n",
        "_HISTOGRAM = None\n\n\ndef _count(items: list[int], pause: Callable[[], None]) -> None:\n"
        "    histogram = _HISTOGRAM\n",
    ),
    (
        "    context = mp_context or multiprocessing.get_context()\n    processes",
        "    global _HISTOGRAM\n    _HISTOGRAM = histogram\n"
        "    context = mp_context or multiprocessing.get_context()\n    processes",
    ),
    ("args=(histogram, items[worker::workers]", "args=(items[worker::workers]"),
]
