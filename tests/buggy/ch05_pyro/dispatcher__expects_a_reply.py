"""submit is an ordinary call that returns the job's result, and run_jobs keeps what it returns.

The client waits for every job in turn (nothing runs at the same time, and
submit does not return at once), and against a real oneway dispatcher every
result it collects is None: a oneway call has no reply. Results come back
through the listener.
"""

LOSES = ["dispatcher", "run_jobs"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        "    @Pyro5.api.expose\n    @Pyro5.api.oneway\n    def submit(self, job_id: str, n: int, listener: Pyro5.api.Proxy) -> None:\n",

        "    @Pyro5.api.expose\n    def submit(self, job_id: str, n: int, listener: Pyro5.api.Proxy) -> Any:\n",
    ),
    (
        "                listener.finished(job_id, result)\n",

        "                listener.finished(job_id, result)\n                return result\n",
    ),
    (
        "            for job_id, n in jobs.items():\n"
        "                dispatcher.submit(job_id, n, callback)\n"
        "        ended = listener.wait(list(jobs), timeout)\n",

        "            replies = {job_id: dispatcher.submit(job_id, n, callback) for job_id, n in jobs.items()}\n"
        "        ended = listener.wait(list(jobs), timeout)\n"
        "        ended = {job_id: (ok, replies[job_id] if ok else value) for job_id, (ok, value) in ended.items()}\n",
    ),
]
