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

    `io` is called between reading the balance and writing the new one (it
    stands for the round trip to a ledger database). Tests pass a callable that
    lets other threads run right there.
    """

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
        with self._lock:
            return self._balance

    def deposit(self, amount: int) -> None:
        _check_amount(amount)
        with self._lock:
            current = self._balance
            self._io()
            self._balance = current + amount

    def withdraw(self, amount: int) -> None:
        _check_amount(amount)
        with self._lock:
            current = self._balance
            self._io()
            if amount > current:
                raise InsufficientFunds(f"cannot withdraw {amount} from a balance of {current}")
            self._balance = current - amount


def transfer(source: Account, target: Account, amount: int) -> None:
    """Move `amount` from source to target, all or nothing."""
    _check_amount(amount)
    first, second = sorted((source, target), key=lambda account: account.number)
    with first._lock, second._lock:  # same object twice is fine: the lock is reentrant
        source.withdraw(amount)  # raises InsufficientFunds before anything changed
        target.deposit(amount)
