"""Exercise: a TCP line server on 127.0.0.1 that serves many clients at once.

asyncio serves thousands of connections on one thread, on one condition: no
handler may block the event loop. A handler that calls a blocking function
(a database driver, time.sleep, a long computation) stops every other client
until it returns. Build `start_server(lookup, port)`.

Hazards: a blocking call on the loop (the tests' loop watchdog names the line);
clients served one at a time; a server listening on every interface; a
connection left open, or dropped when lookup fails.
Useful tools: asyncio.start_server, StreamReader.readline, StreamWriter.write /
drain / close, asyncio.to_thread.
"""

from __future__ import annotations

import asyncio
from typing import Callable


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
    raise NotImplementedError("TODO: asyncio.start_server with a handler per connection")
