"""Buggy: transfer locks the source first, then the target.

Deposits and withdrawals are correctly locked, but transfer(a, b) takes a's lock
then b's while transfer(b, a) in another thread takes b's then a's: each holds
the lock the other waits for, and both wait forever (a deadlock). The locks
must be taken in one global order, whatever the direction of the transfer.
"""

from __future__ import annotations

import threading
from typing import Callable

LOSES = ["no_deadlock", "every_schedule"]


class InsufficientFunds(Exception):
    """A withdrawal or transfer asked for more money than the account holds."""


def _check_amount(amount: int) -> None:
    if amount <= 0:
        raise ValueError(f"amount must be positive, got {amount!r}")


class Account:
    def __init__(self, balance: int = 0, io: Callable[[], None] | None = None):
        if balance < 0:
            raise ValueError("opening balance must not be negative")
        self._balance = balance
        self._io = io or (lambda: None)
        self.lock = threading.RLock()

    @property
    def balance(self) -> int:
        with self.lock:
            return self._balance

    def deposit(self, amount: int) -> None:
        _check_amount(amount)
        with self.lock:
            current = self._balance
            self._io()
            self._balance = current + amount

    def withdraw(self, amount: int) -> None:
        _check_amount(amount)
        with self.lock:
            current = self._balance
            self._io()
            if amount > current:
                raise InsufficientFunds(f"cannot withdraw {amount} from {current}")
            self._balance = current - amount


def transfer(source: Account, target: Account, amount: int) -> None:
    with source.lock:
        with target.lock:
            source.withdraw(amount)
            target.deposit(amount)
