"""Graded tests for exercises/ch04_asyncio/line_server.py.

Real sockets on 127.0.0.1, real clients (asyncio streams) on the same event
loop as the server, run by course.testing.run_async: its watchdog fails the
test, naming the coroutine and the line, if anything blocks the loop. Nothing
sleeps to wait: a client reads its reply with a deadline, and concurrency is
shown by a lookup for client A that waits (with a deadline, in the lookup's
thread) until client B has received its reply. A server that serves one client
at a time, or runs lookup on the loop, cannot get B's reply out first.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading

import pytest

from course.testing import EventLoopBlocked, plain, run_async

REPLY_SECONDS = 5.0  # a reply that takes longer than this is missing
HOLD_SECONDS = 2.0  # how long a held lookup waits for the other client


class LookupError_(Exception):
    pass


class Client:
    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, server):
        port = server.sockets[0].getsockname()[1]
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    @classmethod
    @contextlib.asynccontextmanager
    async def session(cls, server):
        """A connected client, closed however the block ends."""
        client = await cls.connect(server)
        try:
            yield client
        finally:
            await client.close()

    async def ask(self, line, end="\n"):
        self.writer.write(f"{line}{end}".encode())
        await self.writer.drain()
        return await self.reply()

    async def reply(self):
        async with asyncio.timeout(REPLY_SECONDS):
            return (await self.reader.readline()).decode()

    async def close(self):
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except ConnectionError:
            pass


async def serving(exercise, lookup, body, port=None):
    """Start the server (on the port start_server picks by default, or on `port`), run body(server), stop it."""
    server = await (exercise.start_server(lookup) if port is None else exercise.start_server(lookup, port))
    try:
        return await body(server)
    finally:
        server.close()
        await server.wait_closed()


def run(main):
    return run_async(main, max_lag=0.5, timeout=30)


def upper(line):
    if line == "boom":
        raise LookupError_("no such key: boom")
    return line.upper()


# ---- task: replies --------------------------------------------------------------------------


@pytest.mark.task("replies")
def test_each_line_gets_its_reply_in_order(exercise):
    async def body(server):
        async with Client.session(server) as client:
            return [await client.ask(line) for line in ("hello", "größe", "a b c", "")] + [await client.ask("x", "\r\n")]

    got = run(lambda: serving(exercise, upper, body))
    expected = ["HELLO\n", "GRÖSSE\n", "A B C\n", "\n", "X\n"]
    assert plain(got) == expected, (
        f"lookup = str.upper; the requests 'hello', 'größe', 'a b c', '' and 'x' (sent with \\r\\n) got the replies "
        f"{got!r}, expected {expected!r}"
    )


@pytest.mark.task("replies")
def test_requests_sent_together_get_one_reply_each_in_order(exercise):
    async def body(server):
        async with Client.session(server) as client:
            client.writer.write(b"one\ntwo\nthree\n")  # three requests in one packet
            await client.writer.drain()
            return [await client.reply() for _ in range(3)]

    got = run(lambda: serving(exercise, upper, body))
    assert got == ["ONE\n", "TWO\n", "THREE\n"], (
        f"a client sent 'one\\ntwo\\nthree\\n' in one write and read {got!r}, expected one reply per line, in order"
    )


@pytest.mark.task("replies")
def test_quit_says_bye_and_closes_the_connection(exercise):
    async def body(server):
        async with Client.session(server) as client:
            first = await client.ask("one")
            bye = await client.ask("QUIT")
            async with asyncio.timeout(REPLY_SECONDS):
                rest = await client.reader.read()
            return first, bye, rest

    first, bye, rest = run(lambda: serving(exercise, upper, body))
    assert (first, bye, rest) == ("ONE\n", "BYE\n", b""), (
        f"after 'one' and 'QUIT' the client read {first!r}, {bye!r} and then {rest!r}; expected 'ONE\\n', 'BYE\\n' "
        "and the end of the stream (the server closed the connection)"
    )


@pytest.mark.task("replies")
def test_a_failed_lookup_is_reported_and_the_connection_stays_open(exercise):
    async def body(server):
        async with Client.session(server) as client:
            return await client.ask("boom"), await client.ask("after")

    failed, after = run(lambda: serving(exercise, upper, body))
    assert (failed, after) == ("ERROR: no such key: boom\n", "AFTER\n"), (
        f"lookup('boom') raised LookupError_('no such key: boom'); the client got {failed!r} and then, for 'after', "
        f"{after!r}; expected 'ERROR: no such key: boom\\n' and 'AFTER\\n' on the same connection"
    )


@pytest.mark.task("replies")
def test_the_server_listens_on_127_0_0_1_at_the_port_asked_for(exercise):
    with socket.socket() as probe:  # a free port, released before the server takes it
        probe.bind(("127.0.0.1", 0))
        wanted = probe.getsockname()[1]

    async def body(server):
        return [tuple(sock.getsockname()[:2]) for sock in server.sockets]

    chosen = run(lambda: serving(exercise, upper, body))
    asked = run(lambda: serving(exercise, upper, body, port=wanted))
    assert len(chosen) == 1 and chosen[0][0] == "127.0.0.1" and chosen[0][1] > 0, (
        f"start_server(lookup) listens on {chosen}, expected one socket on 127.0.0.1 at a free port"
    )
    assert asked == [("127.0.0.1", wanted)], f"start_server(lookup, {wanted}) listens on {asked}, expected 127.0.0.1:{wanted}"


@pytest.mark.task("replies")
def test_the_server_closes_a_connection_the_client_closed(exercise):
    async def body(server):
        before = asyncio.all_tasks()
        client = await Client.connect(server)
        await client.ask("hi")
        handlers = asyncio.all_tasks() - before
        await client.close()
        async with asyncio.timeout(REPLY_SECONDS):
            while any(not task.done() for task in handlers):
                await asyncio.sleep(0.01)  # polling with a deadline: the handler has no event to wait on
        return len(handlers)

    try:
        run(lambda: serving(exercise, upper, body))
    except TimeoutError:
        pytest.fail("a client sent 'hi', read the reply and closed its end; the server's handler was still running "
                    f"{REPLY_SECONDS:.0f} s later, expected it to end", pytrace=False)


# ---- task: many_clients ------------------------------------------------------------------------


class HeldLookup:
    """lookup('slow') waits (in its thread, with a deadline) until the test says another client got its reply."""

    def __init__(self):
        self.other_served = threading.Event()
        self.waited_out = False

    def __call__(self, line):
        if line == "slow":
            self.waited_out = not self.other_served.wait(HOLD_SECONDS)
        return line.upper()


def held_pair(exercise):
    lookup = HeldLookup()
    order = []

    async def body(server):
        slow, quick = await Client.connect(server), await Client.connect(server)
        try:
            slow.writer.write(b"slow\n")
            await slow.writer.drain()
            order.append(await quick.ask("quick"))
            lookup.other_served.set()
            order.append(await slow.reply())
        finally:
            lookup.other_served.set()
            await slow.close()
            await quick.close()

    return lookup, order, lambda: serving(exercise, lookup, body)


@pytest.mark.task("many_clients")
def test_a_slow_lookup_for_one_client_does_not_hold_up_another(exercise):
    lookup, order, main = held_pair(exercise)
    run(main)
    assert order == ["QUICK\n", "SLOW\n"] and not lookup.waited_out, (
        f"client A asked 'slow' (a lookup that waits for client B's reply), then client B asked 'quick'; the replies "
        f"came as {order} and A's lookup {'gave up waiting after 2 s' if lookup.waited_out else 'was released'}: "
        "expected B served while A's lookup was still running"
    )


@pytest.mark.task("many_clients")
def test_several_clients_are_served_at_once(exercise):
    inside = []
    all_in = threading.Barrier(4, timeout=HOLD_SECONDS)

    def lookup(line):
        inside.append(line)
        all_in.wait()  # returns only when 4 lookups are in progress together
        return line.upper()

    async def body(server):
        clients = [await Client.connect(server) for _ in range(4)]
        try:
            return await asyncio.gather(*(client.ask(f"c{i}") for i, client in enumerate(clients)))
        finally:
            for client in clients:
                await client.close()

    try:
        got = run(lambda: serving(exercise, lookup, body))
    except TimeoutError:
        got = None
    assert got == ["C0\n", "C1\n", "C2\n", "C3\n"], (
        f"4 clients each sent one request whose lookup waits until all 4 lookups are in progress together: they got "
        f"{got!r} ({len(inside)} lookup(s) started), expected 'C0\\n' to 'C3\\n', every client served at the same time"
    )


# ---- task: lookup_off_loop -------------------------------------------------------------------------


@pytest.mark.task("lookup_off_loop")
def test_the_blocking_lookup_never_runs_on_the_event_loop(exercise):
    loop_threads = []

    def lookup(line):
        return "ON THE LOOP" if threading.get_ident() in loop_threads else line.upper()

    async def body(server):
        loop_threads.append(threading.get_ident())
        async with Client.session(server) as client:
            return [await client.ask(line) for line in ("a", "b")]

    got = run(lambda: serving(exercise, lookup, body))
    assert got == ["A\n", "B\n"], (
        f"lookup ran on the event loop's thread (the replies were {got!r}): it blocks, so every other client waits "
        "while it runs; await asyncio.to_thread(lookup, line) instead"
    )


@pytest.mark.task("lookup_off_loop")
def test_the_loop_is_never_blocked_while_a_lookup_waits(exercise):
    lookup, order, main = held_pair(exercise)
    try:
        run(main)
    except EventLoopBlocked as blocked:
        pytest.fail(str(blocked), pytrace=False)
    assert order == ["QUICK\n", "SLOW\n"], f"the replies came as {order}, expected the quick one first"
