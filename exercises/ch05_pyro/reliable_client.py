"""Exercise: a ledger and a client that survive lost replies and server restarts.

A remote call can fail in the middle: the request may never have arrived, or
the server may have done the work and the reply was lost. The caller sees the
same `ConnectionClosedError` in both cases. Retrying is safe for a call that
is idempotent (`balance()`), but a deposit retried blindly after a lost reply
is made twice.

The cure is at-most-once on the server: every deposit carries a request id,
the ledger remembers what each id did, and a repeated id changes nothing and
gets the first answer again. The client picks the id once per deposit and
sends the same id on every retry; then retrying until a reply arrives
gives exactly-once deposits.

Write both halves:
- `Ledger`, the object a daemon serves (thread-safe: the daemon calls it from
  many threads at once);
- `LedgerClient`, which reaches the ledger by its name in the name server and
  retries through lost connections, including a server that crashed and came
  back on another port under the same name.
"""

from __future__ import annotations

from typing import Callable

import Pyro5.api
import Pyro5.errors


class Ledger:
    """A balance that only grows, with at-most-once deposits.

    Ledger(io=None): `io` is a callable with no arguments, called in deposit
    between reading the balance and writing the new one (None: nothing). It
    stands for the disk write; the tests use it to let other threads run and
    to cut the connection while a deposit is being made.

    Exposed to Pyro clients: deposit and balance (nothing else).
    """

    def __init__(self, io: Callable[[], None] | None = None):
        raise NotImplementedError("TODO: the balance, the ids already done, io and a lock")

    def deposit(self, request_id: str, amount: int) -> int:
        """Add `amount` once per `request_id`; return the balance right after that deposit.

        `amount` must be a positive int (a bool is not), else ValueError,
        changing and remembering nothing. A `request_id` seen before changes
        nothing and returns the balance its first deposit returned; seen before
        with a different amount, it is a ValueError. A repeat that arrives while
        the first deposit of its id is still being made waits for it, then
        answers the same. Read, io(), write as one atomic step: io() is called
        once per deposit that is made, never for a repeat.
        """
        raise NotImplementedError("TODO")

    def balance(self) -> int:
        """The balance now."""
        raise NotImplementedError("TODO")


class LedgerClient:
    """Calls the ledger registered as `name` in the name server at ns_host:ns_port.

    LedgerClient(name, ns_host, ns_port, deadline=5.0, retry_interval=0.02,
    on_retry=None). The name is looked up again whenever a new connection is
    made, so a ledger that restarted elsewhere under the same name is found.

    A call that fails with Pyro5.errors.CommunicationError (refused, closed,
    timed out: the server may or may not have run it) is tried again, after
    calling on_retry(n, error) (n = 1 for the first retry, 2 for the next...)
    and pausing `retry_interval` seconds, until `deadline` seconds after the
    call began; then the last CommunicationError is raised. Any other error
    (a ValueError from the ledger) is raised at once, without a retry.

    A client is used from one thread (a Pyro proxy belongs to one thread);
    close() releases its connection; it is also a context manager.
    """

    def __init__(self, name: str, ns_host: str, ns_port: int, deadline: float = 5.0,
                 retry_interval: float = 0.02, on_retry: Callable[[int, Exception], None] | None = None):
        raise NotImplementedError("TODO: a proxy that finds the ledger by name")

    def deposit(self, amount: int) -> int:
        """Deposit `amount` exactly once, however often the call must be retried; return
        the balance the ledger returned for it."""
        raise NotImplementedError("TODO: one request id for every attempt of this deposit")

    def balance(self) -> int:
        """The ledger's balance (idempotent: retried freely)."""
        raise NotImplementedError("TODO")

    def close(self) -> None:
        raise NotImplementedError("TODO")

    def __enter__(self) -> "LedgerClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
