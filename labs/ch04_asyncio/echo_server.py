"""Lab: a TCP echo server and its clients with asyncio streams, on 127.0.0.1.

- asyncio.start_server calls the handler once per connection, each as its own
  task: three clients talk to the server at the same time, on one thread.
- A reader gives lines (`await reader.readline()`, b"" at the end); a writer
  buffers what you `write()`, and `await writer.drain()` waits while the
  buffer is too full (backpressure from a slow client).
- The server listens on 127.0.0.1 only, on a free port (port 0); it is closed,
  and every connection with it, before the program ends.

Run: python -m labs.ch04_asyncio.echo_server
"""

from __future__ import annotations

import asyncio


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Send every line back, until the client closes its end."""
    try:
        while line := await reader.readline():
            writer.write(line)
            await writer.drain()
    finally:
        writer.close()
        await writer.wait_closed()


async def client(port: int, name: str, lines: int) -> list[str]:
    """Connect, send `lines` lines, read each echo back, close."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        replies = []
        for n in range(lines):
            writer.write(f"{name} line {n}\n".encode())
            await writer.drain()
            replies.append((await reader.readline()).decode().strip())
            await asyncio.sleep(0.01)  # let the other clients take turns
        return replies
    finally:
        writer.close()
        await writer.wait_closed()


async def main_async() -> None:
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"echo server listening on 127.0.0.1:{port}")
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(client(port, name, 3)) for name in ("ann", "bob", "cyd")]
        for task in tasks:
            print("  ", task.result())
    finally:
        server.close()
        await server.wait_closed()
    print("Notice: three clients served at once by one thread; the server closed before the program ended.")


if __name__ == "__main__":
    asyncio.run(main_async())
