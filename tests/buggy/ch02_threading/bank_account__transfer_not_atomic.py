"""Buggy: a transfer is a withdraw followed by a deposit, each under its own lock.

No two locks are ever held at once, so it cannot deadlock, and the total is
right once every transfer has finished. But between the withdraw and the
deposit the money is in neither account and the source is unlocked: another
thread can use the source, or add up the balances, in the middle of the move.
A transfer must hold both accounts' locks for the whole move.
"""

from __future__ import annotations

import itertools
import threading
from typing import Callable

LOSES = ["atomic_transfer", "every_schedule"]


_numbers = itertools.count(1)


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
        self.number = next(_numbers)

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
    _check_amount(amount)
    source.withdraw(amount)  # raises InsufficientFunds before anything changed
    target.deposit(amount)
