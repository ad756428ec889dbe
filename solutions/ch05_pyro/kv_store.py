"""A thread-safe key-value store served by Pyro5 (reference solution).

One object serves every client: the daemon's thread pool runs each client's
calls in its own thread, so calls from different clients run inside this
object at the same time. One lock makes each operation atomic. Only the five
methods are exposed: the dictionary and the lock stay private.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import Pyro5.api


class KeyValueStore:
    """A key-value store that many clients may call at once through one daemon."""

    def __init__(self, io: Callable[[], None] | None = None):
        self._data: dict[str, Any] = {}
        self._io = io or (lambda: None)
        self._lock = threading.Lock()

    @Pyro5.api.expose
    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            return self._data.get(key, default)

    @Pyro5.api.expose
    def put(self, key: str, value: Any) -> None:
        _check_key(key)
        with self._lock:
            self._data[key] = value

    @Pyro5.api.expose
    def delete(self, key: str) -> bool:
        with self._lock:
            return self._data.pop(key, _MISSING) is not _MISSING

    @Pyro5.api.expose
    def increment(self, key: str, by: int = 1) -> int:
        _check_key(key)
        with self._lock:
            current = self._data.get(key, 0)
            if type(current) is not int:
                raise TypeError(f"cannot increment {key!r}: it holds a {type(current).__name__}")
            self._io()
            self._data[key] = current + by
            return current + by

    @Pyro5.api.expose
    def keys(self) -> list[str]:
        with self._lock:
            return sorted(self._data)


_MISSING = object()


def _check_key(key: Any) -> None:
    if not isinstance(key, str):
        raise TypeError(f"keys are strings, got {type(key).__name__}")


def register(daemon: Pyro5.api.Daemon, ns: Pyro5.api.Proxy, name: str, io: Callable[[], None] | None = None) -> str:
    uri = daemon.register(KeyValueStore(io))
    ns.register(name, uri)
    return str(uri)
