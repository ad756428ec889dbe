"""A job that was taken once is never handed out again.

take() only looks for jobs nobody ever took: when the worker holding a job
dies, its job is lost and the work never ends. A lease that has ended must
make the job wait again.
"""

LOSES = ["leases", "exactly_once", "basics"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        "                if lease is None or lease[1] <= now:\n",

        "                if lease is None:\n",
    ),
]
