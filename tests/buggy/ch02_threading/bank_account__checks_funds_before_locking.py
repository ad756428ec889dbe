"""Buggy: a transfer checks the funds first and takes the locks afterwards.

The locks are taken in a global order and held for the whole move, but the
check `source.balance < amount` happens before them: two transfers of 60 from a
balance of 100 can both read 100, both pass the check, and both move the money,
leaving -20. A check-then-act must happen under the same lock as the act.
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
    if source.balance < amount:
        raise InsufficientFunds(f"cannot transfer {amount} from {source.balance}")
    first, second = sorted((source, target), key=lambda account: account.number)
    with first.lock, second.lock:
        current = source._balance
        source._io()
        source._balance = current - amount
        target._balance += amount
