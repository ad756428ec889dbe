"""Exercise: a thread-safe key-value store served by Pyro5.

Write `KeyValueStore`, a small store that clients reach through Pyro proxies,
and `register()`, which serves one store and puts it in the name server.

The daemon serves ONE store object for everybody, and its thread pool runs
each client connection in a thread of its own: calls from different clients
run inside the same object at the same moment. `increment` is a
read-modify-write:

    current = ...the stored value...   # read
    self._io()                         # a disk write: other threads run here
    ...store current + by...           # write

Call `io()` exactly there, once per increment: the tests pass an `io` that
lets other threads run at that moment, so an unprotected store loses updates
every time instead of once a month.

Hazards to avoid:
- lost updates: two calls read the same old value and both write;
- exposing too much: a client must see exactly the five methods below, no
  attribute or property, nothing of the store's private state (its dict, its lock);
- one store per client: if the daemon makes an object per connection, clients
  do not share anything.
"""

from __future__ import annotations

from typing import Any, Callable

import Pyro5.api


class KeyValueStore:
    """A key-value store that many clients may call at once through one daemon.

    KeyValueStore(io=None): `io` is a callable with no arguments, called in
    `increment` between reading and writing the value (None: do nothing there).

    Exposed to Pyro clients: exactly get, put, delete, increment and keys.
    Keys are strings; a key of another type is a TypeError in put and
    increment, changing nothing. Values are whatever Pyro's serializer carries.
    """

    def __init__(self, io: Callable[[], None] | None = None):
        raise NotImplementedError("TODO: a dict, the io callable and a lock")

    def get(self, key: str, default: Any = None) -> Any:
        """The value stored under `key`, or `default` when there is none."""
        raise NotImplementedError("TODO")

    def put(self, key: str, value: Any) -> None:
        """Store `value` under `key`, replacing what was there."""
        raise NotImplementedError("TODO")

    def delete(self, key: str) -> bool:
        """Remove `key`; True if it was there, False (changing nothing) if not."""
        raise NotImplementedError("TODO")

    def increment(self, key: str, by: int = 1) -> int:
        """Add `by` to the int under `key` (a missing key counts as 0); return the new value.

        A value that is not an int (a bool is not an int here) is a TypeError,
        changing nothing. Read, io(), write as one atomic step: io() is called
        exactly once by an increment that is made, and not at all by one that
        is refused.
        """
        raise NotImplementedError("TODO")

    def keys(self) -> list[str]:
        """Every key, sorted."""
        raise NotImplementedError("TODO")


def register(daemon: Pyro5.api.Daemon, ns: Pyro5.api.Proxy, name: str, io: Callable[[], None] | None = None) -> str:
    """Serve one new KeyValueStore(io) in `daemon`, register its URI in the name
    server `ns` (a proxy) under `name`, and return the URI as a string.

    Every client that looks up `name` must reach that same store.
    """
    raise NotImplementedError("TODO")
