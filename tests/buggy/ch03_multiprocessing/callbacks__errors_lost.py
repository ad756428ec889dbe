"""run_all submits without an error callback and never calls .get().

A call that raises leaves its exception in an AsyncResult nobody reads: the
error is silently lost and its result stays None. The rest is right.
"""

LOSES = ["collect"]

PATCH = [
    (
        "            pool.apply_async(fn, (item,), callback=functools.partial(done, index),\n"
        "                             error_callback=functools.partial(failed, index))\n",
        "            pool.apply_async(fn, (item,), callback=functools.partial(done, index))\n",
    ),
]
