"""Real Pyro5 name servers and daemons for tests, labs and the book, on 127.0.0.1.

- `name_server()` starts the course's own name server process (`course
  pyro-nameserver`, the capstone's `Service`) on a free port and stops it.
- `Server` runs a Pyro daemon in a thread of this process, on a free port, so a
  test can serve the object under test and watch it. `crash()` makes it look
  dead to its callers at once (listening socket and every open connection
  closed), as a killed process would; `stop()` is the clean shutdown.

Nothing here uses a fixed port, and everything is stopped on the way out of
its `with` block, also when the block fails: the leak check would otherwise
report the listening socket, the daemon's threads or the name server process.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import Pyro5.api
import Pyro5.errors

from course.capstone.services import Service, locate_ns

HOST = "127.0.0.1"
STOP_SECONDS = 5.0


@dataclass(frozen=True)
class NameServer:
    """Where a running name server listens."""

    host: str
    port: int

    def proxy(self) -> Pyro5.api.Proxy:
        """A proxy of the name server; use it in a `with` block, in one thread."""
        return locate_ns(self.host, self.port, timeout=5.0)

    def lookup(self, name: str) -> str:
        with self.proxy() as ns:
            return str(ns.lookup(name))

    def names(self, prefix: str = "") -> dict[str, str]:
        """Every registered name (the name server's own excepted) and its URI."""
        with self.proxy() as ns:
            found = ns.list(prefix=prefix or None)
        return {name: str(uri) for name, uri in found.items() if name != "Pyro.NameServer"}


@contextlib.contextmanager
def name_server() -> Iterator[NameServer]:
    """A fresh name server process on 127.0.0.1 and a free port, stopped at the end."""
    folder = Path(tempfile.mkdtemp(prefix="course-ns-"))
    service = Service("pyro-nameserver", ["--host", HOST, "--port", "0"], folder, "nameserver")
    try:
        info = service.wait_ready()
        yield NameServer(info["host"], int(info["port"]))
    finally:
        service.stop()
        shutil.rmtree(folder, ignore_errors=True)


class _Daemon(Pyro5.api.Daemon):
    """A daemon that remembers its open connections, so `crash()` can cut them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.connections: set = set()
        self._connections_lock = threading.Lock()

    def validateHandshake(self, conn, data):
        with self._connections_lock:
            self.connections.add(conn)
        return super().validateHandshake(conn, data)

    def clientDisconnect(self, conn):
        with self._connections_lock:
            self.connections.discard(conn)

    def cut_connections(self) -> None:
        """Shut every client socket down: a handler blocked reading it wakes and ends."""
        with self._connections_lock:
            connections = list(self.connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)


def exposed(obj) -> tuple[list[str], list[str], list[str]]:
    """What a client may use of `obj`, served by a fresh daemon: its methods,
    attributes (properties) and oneway methods, each sorted."""
    with Server() as server:
        with Pyro5.api.Proxy(server.register(obj)) as proxy:
            proxy._pyroBind()
            return sorted(proxy._pyroMethods), sorted(proxy._pyroAttrs), sorted(proxy._pyroOneway)


class Server:
    """A Pyro daemon on 127.0.0.1 and a free port, serving from a thread of this process.

    Use it as a context manager: the request loop starts on entry and the
    daemon, its connections and its names in the name server are gone on exit.
    """

    def __init__(self, port: int = 0):
        self.daemon = _Daemon(host=HOST, port=port)
        self.port = self.daemon.locationStr.rsplit(":", 1)[1]
        self._names: list[tuple[NameServer, str]] = []
        self._thread = threading.Thread(target=self.daemon.requestLoop, name=f"pyro-daemon-{self.port}", daemon=True)
        self._stopped = False

    def register(self, obj, name: str | None = None, ns: NameServer | None = None) -> str:
        """Serve `obj` (an object or a class); with `ns`, also under `name` in that name server."""
        uri = self.daemon.register(obj)
        if ns is not None and name:
            with ns.proxy() as proxy:
                proxy.register(name, uri)
            self._names.append((ns, name))
        return str(uri)

    def __enter__(self) -> "Server":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def crash(self) -> None:
        """Stop serving the way a killed process does: no goodbye, names left behind."""
        if self._stopped:
            return
        self._stopped = True
        self.daemon.shutdown()
        self.daemon.cut_connections()
        if self._thread.is_alive():
            self._thread.join(STOP_SECONDS)

    def stop(self) -> None:
        """Remove our names from the name server, then stop like `crash()`."""
        for ns, name in self._names:
            with contextlib.suppress(Pyro5.errors.PyroError, OSError):
                with ns.proxy() as proxy:
                    proxy.remove(name)
        self._names.clear()
        self.crash()
