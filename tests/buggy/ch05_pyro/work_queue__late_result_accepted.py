"""done() accepts a result from any worker that ever held the job.

The first worker, presumed dead, was only slow: its late result overwrites
the one of the worker that redid the job, and both are told their result
counted. Only the holder of the current lease may report the job.
"""

LOSES = ["leases", "basics"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        "            if job_id in self._results or lease is None or lease[0] != worker:\n",

        "            if lease is None:\n",
    ),
]
