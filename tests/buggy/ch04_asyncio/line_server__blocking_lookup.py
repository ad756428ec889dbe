"""Buggy: lookup is called directly in the handler.

lookup blocks (it is a database call): while it runs, the event loop's only
thread is inside it and no other client is served, no other reply written.
The loop watchdog of the tests names the handler and the line.
"""

LOSES = ["many_clients", "lookup_off_loop"]

PATCH = [
    ("                reply = await asyncio.to_thread(lookup, request)  # blocking: in a thread, not on the loop\n",
     "                reply = lookup(request)\n"),
]
