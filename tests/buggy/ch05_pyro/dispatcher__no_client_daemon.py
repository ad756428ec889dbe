"""run_jobs passes its Listener object to the dispatcher, but no daemon serves it.

Pyro cannot call back an object no daemon serves: it tries to send a copy of
its attributes (a Condition among them), so the submission fails, or the
dispatcher gets a dict it cannot call. Either way no callback can ever arrive.
The listener must be registered in a daemon of the client's own, with that
daemon's request loop running, and a proxy of it passed on.
"""

LOSES = ["run_jobs", "clean_exit"]

# The reference solution with these replacements (old, new): the mistake, and nothing else.
PATCH = [
    (
        "    listener = Listener(on_progress)\n"
        "    daemon = Pyro5.api.Daemon(host=\"127.0.0.1\", port=0)\n"
        "    callback = Pyro5.api.Proxy(daemon.register(listener))\n"
        "    loop = threading.Thread(target=daemon.requestLoop, name=\"listener-daemon\", daemon=True)\n"
        "    loop.start()\n"
        "    try:\n"
        "        with Pyro5.api.Proxy(dispatcher_uri) as dispatcher:\n"
        "            for job_id, n in jobs.items():\n"
        "                dispatcher.submit(job_id, n, callback)\n"
        "        ended = listener.wait(list(jobs), timeout)\n"
        "    finally:\n"
        "        daemon.shutdown()  # returns once the request loop has stopped\n"
        "        loop.join()\n",

        "    listener = Listener(on_progress)\n"
        "    with Pyro5.api.Proxy(dispatcher_uri) as dispatcher:\n"
        "        for job_id, n in jobs.items():\n"
        "            dispatcher.submit(job_id, n, listener)\n"
        "    ended = listener.wait(list(jobs), timeout)\n",
    ),
]
