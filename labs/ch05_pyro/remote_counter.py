"""A remote counter hit by many clients at once, without and with a lock.

Run: python -m labs.ch05_pyro.remote_counter

One counter object is served by a Pyro daemon and registered in a name
server. Four clients, each with its own proxy in its own thread, add 1 to it
200 times. The daemon runs every client connection in a thread of its own,
so all four `add` calls run inside the same object at the same moment: a
remote object served as one instance is shared memory again, with the same
lost updates. Notice the unlocked counter ending short of 800, and the
locked one exact.
"""

from __future__ import annotations

import threading
import time

import Pyro5.api

from course.testing.pyro import Server, name_server

CLIENTS = 4
ADDS = 200


@Pyro5.api.expose
class UnsafeCounter:
    """add() reads, waits for its 'disk', then writes: other threads run in between."""

    def __init__(self) -> None:
        self._value = 0

    def add(self, amount: int) -> None:
        current = self._value
        time.sleep(0)  # the disk write: the thread lets others run here
        self._value = current + amount

    def value(self) -> int:
        return self._value


@Pyro5.api.expose
class LockedCounter(UnsafeCounter):
    """The same counter, with read, wait and write made one step by a lock."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def add(self, amount: int) -> None:
        with self._lock:
            super().add(amount)


def hammer(counter_class, clients: int = CLIENTS, adds: int = ADDS) -> int:
    """Serve one counter_class() by name; `clients` threads each add 1 `adds` times.

    Returns the counter's final value (clients * adds if nothing was lost).
    """
    with name_server() as ns, Server() as server:
        server.register(counter_class(), "lab.counter", ns)
        where = f"PYRONAME:lab.counter@{ns.host}:{ns.port}"
        start = threading.Barrier(clients)

        def client() -> None:
            with Pyro5.api.Proxy(where) as counter:  # a proxy belongs to one thread
                counter._pyroBind()
                start.wait()
                for _ in range(adds):
                    counter.add(1)

        threads = [threading.Thread(target=client) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with Pyro5.api.Proxy(where) as counter:
            return counter.value()


def main() -> None:
    expected = CLIENTS * ADDS
    print(f"{CLIENTS} clients x {ADDS} remote add(1) calls on one served counter:")
    for counter_class in (UnsafeCounter, LockedCounter):
        got = hammer(counter_class)
        print(f"  {counter_class.__name__:<14} ended at {got:>4} of {expected} ({expected - got} updates lost)")
    print("\nNotice: the daemon calls one object from many threads; without a lock,"
          "\nadds that overlap read the same old value and one of them is lost.")


if __name__ == "__main__":
    main()
