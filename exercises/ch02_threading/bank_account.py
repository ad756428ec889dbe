"""Exercise: a thread-safe bank account.

Build an `Account` that many threads can use at once, and a `transfer()`
between two accounts that is all-or-nothing and can never deadlock.

Every change of a balance is a read-modify-write:

    current = self._balance      # read
    self._io()                   # the ledger round trip: other threads run here
    self._balance = current + amount   # write

Call `io()` exactly there, between the read and the write: the tests pass an
`io` that lets other threads run at that moment, so an unprotected account
loses updates every time instead of once a month in production.

Hazards to avoid:
- lost updates: two threads read the same old balance and both write;
- check-then-act: checking the funds and spending them must be one atomic step;
- deadlock: transfer(a, b) and transfer(b, a) in two threads, each holding one
  account's lock and waiting for the other's. Take the locks in one global order.
- transfer(a, a, x) must return, not block on a lock the thread already holds.
"""

from __future__ import annotations

from typing import Callable


class InsufficientFunds(Exception):
    """A withdrawal or transfer asked for more money than the account holds."""


class Account:
    """A bank account that many threads may use at once.

    Account(balance=0, io=None): `balance` is the opening balance (negative:
    ValueError); `io` is a callable with no arguments, called between reading
    and writing the balance (None: do nothing there).
    """

    def __init__(self, balance: int = 0, io: Callable[[], None] | None = None):
        raise NotImplementedError("TODO: store the balance, the io callable and a lock")

    @property
    def balance(self) -> int:
        """The current balance, never one halfway through a transfer: while a
        transfer involving this account is halfway, this waits for it to finish."""
        raise NotImplementedError("TODO: return the balance")

    def deposit(self, amount: int) -> None:
        """Add `amount` (> 0, else ValueError, changing nothing).

        Read, io(), write, as one atomic step: io() is called exactly once.
        """
        raise NotImplementedError("TODO: deposit under the account's lock")

    def withdraw(self, amount: int) -> None:
        """Take `amount` (> 0, else ValueError, changing nothing) out.

        Raise InsufficientFunds, changing nothing, when the balance is smaller
        than `amount`; taking out the whole balance is allowed (it leaves 0).
        Read, io(), check and write as one atomic step: a withdrawal that is
        made calls io() exactly once.
        """
        raise NotImplementedError("TODO: withdraw under the account's lock")


def transfer(source: Account, target: Account, amount: int) -> None:
    """Move `amount` from source to target: both change, or neither does.

    Raise ValueError when amount is not positive, then InsufficientFunds when
    source holds less than amount; either way neither balance changes. Moving
    the whole balance is allowed. Each balance changes by a read, io(), write,
    as in withdraw and deposit: io() is called once on each account. Nobody
    sees the money halfway: from the moment the transfer reads source's
    balance until target holds the money, no other operation on either
    account runs. Other threads may be transferring between the same accounts
    in the opposite direction at the same time. transfer(a, a, amount) is
    checked in the same way (ValueError, InsufficientFunds) and otherwise
    returns with the balance unchanged.
    """
    raise NotImplementedError("TODO: lock both accounts in a global order, then move the money")
