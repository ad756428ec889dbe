"""add reads, pauses and writes without taking the array's lock.

Two processes that read the same counter both write old + 1: one update is
lost, every time another process runs between the read and the write. The
rest is right.
"""

LOSES = ["add", "no_lost_update"]

PATCH = [
    (
        "    with histogram.get_lock():\n        value = histogram[index]\n        pause()\n        histogram[index] = value + 1\n",
        "    value = histogram[index]\n    pause()\n    histogram[index] = value + 1\n",
    ),
]
