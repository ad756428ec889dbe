"""A thread-safe bank account (reference solution).

Every balance change is a read-modify-write: read the balance, talk to the
ledger (`io()`, a simulated database round trip that lets other threads run),
write the new balance. A per-account lock makes that sequence atomic. A
transfer needs two locks; taking them in one global order (by account number)
means two opposite transfers can never each hold the lock the other wants.
"""

from __future__ import annotations

import itertools
import threading
from typing import Callable

_account_numbers = itertools.count(1)


class InsufficientFunds(Exception):
    """A withdrawal or transfer asked for more money than the account holds."""


def _no_io() -> None:
    pass


def _check_amount(amount: int) -> None:
    if amount <= 0:
        raise ValueError(f"amount must be positive, got {amount!r}")


class Account:
    """A bank account that many threads may use at once.

    Account(balance=0, io=None): `balance` is the opening balance (negative:
    ValueError); `io` is a callable with no arguments, called between reading
    and writing the balance (None: do nothing there).
    """

    # `io` stands for the round trip to a ledger database; the tests pass a
    # callable that lets other threads run right there.

    def __init__(self, balance: int = 0, io: Callable[[], None] | None = None):
        if balance < 0:
            raise ValueError(f"opening balance must not be negative, got {balance!r}")
        self._balance = balance
        self._io = io or _no_io
        # Reentrant: transfer() holds this lock and then calls withdraw()/deposit().
        self._lock = threading.RLock()
        # The global lock order: every transfer locks the lower number first.
        self.number = next(_account_numbers)

    @property
    def balance(self) -> int:
        """The current balance, never one halfway through a transfer: while a
        transfer involving this account is halfway, this waits for it to finish."""
        with self._lock:
            return self._balance

    def deposit(self, amount: int) -> None:
        """Add `amount` (> 0, else ValueError, changing nothing).

        Read, io(), write, as one atomic step: io() is called exactly once.
        """
        _check_amount(amount)
        with self._lock:
            current = self._balance
            self._io()
            self._balance = current + amount

    def withdraw(self, amount: int) -> None:
        """Take `amount` (> 0, else ValueError, changing nothing) out.

        Raise InsufficientFunds, changing nothing, when the balance is smaller
        than `amount`; taking out the whole balance is allowed (it leaves 0).
        Read, io(), check and write as one atomic step: a withdrawal that is
        made calls io() exactly once.
        """
        _check_amount(amount)
        with self._lock:
            current = self._balance
            self._io()
            if amount > current:
                raise InsufficientFunds(f"cannot withdraw {amount} from a balance of {current}")
            self._balance = current - amount


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
    _check_amount(amount)
    first, second = sorted((source, target), key=lambda account: account.number)
    with first._lock, second._lock:  # same object twice is fine: the lock is reentrant
        source.withdraw(amount)  # raises InsufficientFunds before anything changed
        target.deposit(amount)
