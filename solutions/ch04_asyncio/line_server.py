"""A TCP line server on 127.0.0.1 that serves many clients at once (reference solution).

asyncio.start_server runs `handle` as a new task for every connection, so
clients are served concurrently by one thread, as long as no handler blocks
the loop. `lookup` does block (it stands for a database call), so it runs in a
worker thread with asyncio.to_thread; the handler awaits it and the loop goes
on serving the others meanwhile. The handler closes its connection on every
way out (`finally`).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Callable

HOST = "127.0.0.1"  # this machine only: nothing outside can connect


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, lookup: Callable[[str], str]) -> None:
    """Serve one connection: a reply per request line, until QUIT or the client closes."""
    try:
        while line := await reader.readline():
            request = line.decode().rstrip("\r\n")
            if request == "QUIT":
                writer.write(b"BYE\n")
                break
            try:
                reply = await asyncio.to_thread(lookup, request)  # blocking: in a thread, not on the loop
            except Exception as error:  # the client gets the error; the connection stays open
                reply = f"ERROR: {error}"
            writer.write(f"{reply}\n".encode())
            await writer.drain()
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def start_server(lookup: Callable[[str], str], port: int = 0) -> asyncio.Server:
    """Start serving on 127.0.0.1:`port` (0: a free port chosen by the system); return the server.

    Protocol, UTF-8 text, one request per line: for each line a client sends,
    the server replies lookup(line) + "\\n", where `line` is the request
    without its line ending ("\\n" or "\\r\\n"); replies on one connection come
    in the order of its requests. If lookup raises an Exception, the reply is
    "ERROR: " + str(exception) and the connection stays open. The request
    "QUIT" gets the reply "BYE" and the server closes that connection; when a
    client closes its end, the server closes the connection too.

    lookup is a blocking function (think of a database call): it must never run
    on the event loop's thread. Many clients are served at once: a slow lookup
    for one client never delays the replies to another.

    The server is listening when start_server returns, on 127.0.0.1 only (never
    on every interface). The caller stops it with `server.close()` and
    `await server.wait_closed()`, which frees the port.
    """
    return await asyncio.start_server(lambda reader, writer: handle(reader, writer, lookup), HOST, port)
