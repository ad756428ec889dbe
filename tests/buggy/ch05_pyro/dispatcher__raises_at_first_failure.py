"""run_jobs raises JobFailed as soon as one job failed, while others still run.

The client shuts its daemon down and leaves; the jobs still running call back
into a daemon that is gone. Wait until every job has ended, then raise.
"""

LOSES = ["clean_exit"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        "            while not all(job_id in self._ended for job_id in job_ids):\n",

        "            while not all(job_id in self._ended for job_id in job_ids) and all(ok for ok, _ in self._ended.values()):\n",
    ),
    (
        "            return {job_id: self._ended[job_id] for job_id in job_ids}\n",

        "            return {job_id: self._ended.get(job_id, (True, None)) for job_id in job_ids}\n",
    ),
]
