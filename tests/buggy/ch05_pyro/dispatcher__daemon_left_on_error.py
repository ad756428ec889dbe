"""run_jobs shuts its daemon down only when everything went well.

A TimeoutError (or any error while submitting) leaves the listener daemon
listening on its port, with its threads, after run_jobs has raised. The
shutdown belongs in a finally block.
"""

LOSES = ["clean_exit"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        "        ended = listener.wait(list(jobs), timeout)\n"
        "    finally:\n"
        "        daemon.shutdown()  # returns once the request loop has stopped\n"
        "        loop.join()\n",

        "        ended = listener.wait(list(jobs), timeout)\n"
        "    except BaseException:\n"
        "        raise\n"
        "    daemon.shutdown()\n"
        "    loop.join()\n",
    ),
]
