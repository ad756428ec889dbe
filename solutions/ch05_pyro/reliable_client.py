"""A ledger and a client that survives lost replies and server restarts (reference solution).

A deposit is not idempotent: doing it twice adds the money twice. When the
connection breaks during a call, the client cannot tell a lost request from a
lost reply, so it retries with the SAME request id, and the ledger applies
each id at most once and answers a repeat with the first answer. The client
reaches the ledger by name (PYRONAME), so after a restart on a new port the
next connection finds the new address.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Callable

import Pyro5.api
import Pyro5.errors


class Ledger:
    """The server side: one object, called from many threads."""

    def __init__(self, io: Callable[[], None] | None = None):
        self._balance = 0
        self._done: dict[str, tuple[int, int]] = {}  # request id -> (amount, balance it produced)
        self._io = io or (lambda: None)
        self._lock = threading.Lock()

    @Pyro5.api.expose
    def deposit(self, request_id: str, amount: int) -> int:
        if type(amount) is not int or amount <= 0:
            raise ValueError(f"amount must be a positive int, got {amount!r}")
        with self._lock:
            if request_id in self._done:
                first_amount, balance = self._done[request_id]
                if first_amount != amount:
                    raise ValueError(f"request {request_id} was a deposit of {first_amount}, not {amount}")
                return balance
            current = self._balance
            self._io()
            self._balance = current + amount
            self._done[request_id] = (amount, self._balance)
            return self._balance

    @Pyro5.api.expose
    def balance(self) -> int:
        with self._lock:
            return self._balance


class LedgerClient:
    """Calls the ledger registered under `name`, retrying through lost connections."""

    def __init__(self, name: str, ns_host: str, ns_port: int, deadline: float = 5.0,
                 retry_interval: float = 0.02, on_retry: Callable[[int, Exception], None] | None = None):
        self._proxy = Pyro5.api.Proxy(f"PYRONAME:{name}@{ns_host}:{ns_port}")
        self._deadline = deadline
        self._retry_interval = retry_interval
        self._on_retry = on_retry or (lambda attempt, error: None)

    def deposit(self, amount: int) -> int:
        request_id = uuid.uuid4().hex  # one id for every attempt of this one deposit
        return self._call(lambda: self._proxy.deposit(request_id, amount))

    def balance(self) -> int:
        return self._call(lambda: self._proxy.balance())

    def _call(self, attempt: Callable[[], int]) -> int:
        give_up = time.monotonic() + self._deadline
        retries = 0
        while True:
            try:
                return attempt()
            except Pyro5.errors.CommunicationError as error:
                if time.monotonic() >= give_up:
                    raise
                retries += 1
                self._on_retry(retries, error)
                time.sleep(self._retry_interval)

    def close(self) -> None:
        self._proxy._pyroRelease()

    def __enter__(self) -> "LedgerClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
