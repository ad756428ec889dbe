"""apply_in_place sends each worker a pickled copy of its slice.

The workers change their copies and send them back, and the caller writes
them into the block: the answers are right, but every value crossed the
process boundary twice, which is what the block was for avoiding (fn is not
given a view of the block). The rest is right.
"""

LOSES = ["round_trip"]

PATCH = [
    (
        "    block = SharedMemory(name=name)\n    try:\n"
        "        with block.buf.cast(DOUBLE) as numbers, numbers[start:stop] as view:\n"
        "            fn(view)\n    finally:\n        block.close()\n",
        "    copy = array(DOUBLE, name)\n    with memoryview(copy) as view:\n        fn(view)\n    return copy.tolist()\n",
    ),
    (
        "            tasks = [(block.name, start, stop, fn)",
        "            tasks = [(shared[start:stop].tolist(), start, stop, fn)",
    ),
    (
        "                pool.starmap(_apply, tasks)  # every call is done: the exit may terminate\n",
        "                for (_, start, stop, _), changed in zip(tasks, pool.starmap(_apply, tasks)):\n"
        "                    shared[start:stop] = array(DOUBLE, changed)\n",
    ),
]
