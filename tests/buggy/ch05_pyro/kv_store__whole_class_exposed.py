"""The whole class is exposed, including a `data` property that returns the dict.

@Pyro5.api.expose on the class publishes every public method and property:
any client can read the whole store in one call (and a `lock` property would
hand out the lock's repr). Expose the five methods one by one; keep state private.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import Pyro5.api

LOSES = ["exposes_only_api"]


@Pyro5.api.expose
class KeyValueStore:
    def __init__(self, io: Callable[[], None] | None = None):
        self._data: dict[str, Any] = {}
        self._io = io or (lambda: None)
        self._lock = threading.Lock()

    @property
    def data(self) -> dict[str, Any]:
        """Handy for debugging."""
        with self._lock:
            return dict(self._data)

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            return self._data.get(key, default)

    def put(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise TypeError("keys are strings")
        with self._lock:
            self._data[key] = value

    def delete(self, key: str) -> bool:
        with self._lock:
            if key in self._data:
                del self._data[key]
                return True
            return False

    def increment(self, key: str, by: int = 1) -> int:
        if not isinstance(key, str):
            raise TypeError("keys are strings")
        with self._lock:
            current = self._data.get(key, 0)
            if type(current) is not int:
                raise TypeError(f"cannot increment {key!r}")
            self._io()
            self._data[key] = current + by
            return current + by

    def keys(self) -> list[str]:
        with self._lock:
            return sorted(self._data)


def register(daemon: Pyro5.api.Daemon, ns: Pyro5.api.Proxy, name: str, io: Callable[[], None] | None = None) -> str:
    uri = daemon.register(KeyValueStore(io))
    ns.register(name, uri)
    return str(uri)
