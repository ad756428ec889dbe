"""run_all waits for the pool with join() and no deadline.

When a worker dies mid-task the pool replaces the worker but not the task:
its AsyncResult never becomes ready and join() waits forever (bpo-22393).
The rest is right.
"""

LOSES = ["bounded"]

PATCH = [
    (
        "        for outcome in pending:\n"
        "            outcome.wait(max(0.0, deadline - time.monotonic()))\n",
        "        for outcome in pending:\n"
        "            outcome.wait()\n",
    ),
]
