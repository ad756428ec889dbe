"""run_jobs raises JobFailed as soon as one job failed, while others still run.

The client shuts its daemon down and leaves; the jobs still running call back
into a daemon that is gone. Wait until every job has ended, then raise.
"""

LOSES = ["clean_exit"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        "            if not self._changed.wait_for(lambda: all(j in self._ended for j in job_ids), timeout):\n",

        "            if not self._changed.wait_for(lambda: all(j in self._ended for j in job_ids)\n"
        "                                          or not all(ok for ok, _ in self._ended.values()), timeout):\n",
    ),
    (
        "            return {job_id: self._ended[job_id] for job_id in job_ids}\n",

        "            return {job_id: self._ended.get(job_id, (True, None)) for job_id in job_ids}\n",
    ),
]
