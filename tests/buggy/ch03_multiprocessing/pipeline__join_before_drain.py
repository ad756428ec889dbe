"""run_pipeline joins the workers before it reads their answers.

A process that has put data on a Queue does not exit until that data has gone
through the pipe, and nobody reads the pipe yet: with answers larger than the
pipe's buffer every worker waits for the caller and the caller for the
workers (here: until the timeout). Small answers slip through. The rest is right.
"""

LOSES = ["shutdown"]

PATCH = [
    (
        "        answers = {}\n        for _ in items:\n",
        "        for process in processes:\n            process.join(timeout)\n"
        "            if process.is_alive():\n"
        "                raise TimeoutError(f\"worker {process.pid} did not finish within {timeout} s\")\n"
        "        answers = {}\n        for _ in items:\n",
    ),
]
