"""take() chooses a job and records its lease without the lock.

Two workers calling at once both find the same waiting job, and both are
handed it: the job is done twice (and the other job's turn comes later).
Choosing and leasing must be one atomic step.
"""

LOSES = ["exactly_once"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        "    def take(self, worker: str) -> list | None:\n"
        "        with self._lock:\n"
        "            now = self._clock()\n"
        "            for job_id, payload in self._jobs.items():\n"
        "                if job_id in self._results:\n"
        "                    continue\n"
        "                lease = self._leases.get(job_id)\n"
        "                if lease is None or lease[1] <= now:\n"
        "                    self._io()\n"
        "                    self._leases[job_id] = (worker, now + self._lease)\n"
        "                    return [job_id, payload]\n"
        "            return None\n",

        "    def take(self, worker: str) -> list | None:\n"
        "        now = self._clock()\n"
        "        for job_id, payload in list(self._jobs.items()):\n"
        "            if job_id in self._results:\n"
        "                continue\n"
        "            lease = self._leases.get(job_id)\n"
        "            if lease is None or lease[1] <= now:\n"
        "                self._io()\n"
        "                self._leases[job_id] = (worker, now + self._lease)\n"
        "                return [job_id, payload]\n"
        "        return None\n",
    ),
]
