"""Buggy: one asyncio.Lock, held for the whole connection.

Meant to "protect" lookup, the lock makes every other client wait until the
connected one has gone: a concurrent server turned back into a serial one.
"""

LOSES = ["many_clients"]

PATCH = [
    ("    return await asyncio.start_server(lambda reader, writer: handle(reader, writer, lookup), HOST, port)\n",
     "    one_at_a_time = asyncio.Lock()\n\n"
     "    async def serve(reader, writer):\n"
     "        async with one_at_a_time:\n"
     "            await handle(reader, writer, lookup)\n\n"
     "    return await asyncio.start_server(serve, HOST, port)\n"),
]
