"""Buggy: no lock at all.

Each operation reads the balance, calls io() (the ledger round trip, where
another thread runs) and writes `old + amount`: two deposits that read the same
old balance both write, and one of them is lost. Withdrawals check funds that
another thread is spending at the same moment, so the account is overdrawn, and
concurrent transfers create or destroy money. It passes every one-thread test.
"""

from __future__ import annotations

from typing import Callable

LOSES = ["concurrent_deposits", "no_overdraft", "atomic_transfer", "every_schedule"]


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

    @property
    def balance(self) -> int:
        return self._balance

    def deposit(self, amount: int) -> None:
        _check_amount(amount)
        current = self._balance
        self._io()
        self._balance = current + amount

    def withdraw(self, amount: int) -> None:
        _check_amount(amount)
        current = self._balance
        self._io()
        if amount > current:
            raise InsufficientFunds(f"cannot withdraw {amount} from {current}")
        self._balance = current - amount


def transfer(source: Account, target: Account, amount: int) -> None:
    source.withdraw(amount)
    target.deposit(amount)
