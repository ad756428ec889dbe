"""Buggy: an exception from lookup ends the handler.

No try/except around the lookup: the exception escapes the handler, the
`finally` closes the connection, and the client loses its session (and never
learns why) because one lookup failed.
"""

LOSES = ["replies"]

PATCH = [
    ("            try:\n"
     "                reply = await asyncio.to_thread(lookup, request)  # blocking: in a thread, not on the loop\n"
     "            except Exception as error:  # the client gets the error; the connection stays open\n"
     "                reply = f\"ERROR: {error}\"\n",
     "            reply = await asyncio.to_thread(lookup, request)\n"),
]
