"""run_all waits for each call before submitting the next.

Calling .wait() right after apply_async runs the calls one after another: the
pool's other workers sit idle. The rest is right.
"""

LOSES = ["parallel"]

PATCH = [
    (
        "        pending = [\n"
        "            pool.apply_async(fn, (item,), callback=functools.partial(done, index),\n"
        "                             error_callback=functools.partial(failed, index))\n"
        "            for index, item in enumerate(items)\n        ]\n",
        "        pending = []\n        for index, item in enumerate(items):\n"
        "            pending.append(pool.apply_async(fn, (item,), callback=functools.partial(done, index),\n"
        "                                            error_callback=functools.partial(failed, index)))\n"
        "            pending[-1].wait(timeout)\n",
    ),
]
