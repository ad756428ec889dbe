"""Lab: check a small scenario under every schedule, and read the one that breaks it.

Two threads book the same seat at once. `UnsafeSeats.book` checks that the seat
is free, talks to the payment service (`pay()`, where another thread can run)
and only then marks the seat taken: a check-then-act race. `SafeSeats.book` does
the check and the marking under one lock.

Sampling the race (run it often, with a tiny switch interval) can only say "not
seen this time". `course.testing.explore` instead runs the two threads one at a
time and tries every order of their steps: each lock taken or given back and
each `pay()` call is a point where it may switch threads. After each schedule it
checks that exactly one booking went through. For the unsafe version it prints
the schedule that sells the seat twice; for the safe one, how many schedules it
checked. That proves this scenario (two threads, one seat), nothing bigger.

Run: python -m labs.ch02_threading.every_schedule
"""

from __future__ import annotations

import threading
from typing import Callable

from course.testing.explore import ExplorationError, explore, pause


class UnsafeSeats:
    """Checks the seat, pays, then takes it: two buyers can both see it free."""

    def __init__(self, pay: Callable[[], None]):
        self.owner: dict[str, str] = {}
        self.sold = 0
        self.pay = pay

    def book(self, seat: str, buyer: str) -> bool:
        if seat in self.owner:
            return False
        self.pay()
        self.owner[seat] = buyer
        self.sold += 1
        return True


class SafeSeats(UnsafeSeats):
    """The same steps, with the check and the taking under one lock."""

    def __init__(self, pay: Callable[[], None]):
        super().__init__(pay)
        self.lock = threading.Lock()

    def book(self, seat: str, buyer: str) -> bool:
        with self.lock:
            return super().book(seat, buyer)


def sold_once(seats: UnsafeSeats) -> None:
    """The invariant: whatever the schedule, seat 12A was sold exactly once."""
    assert seats.sold == 1, f"seat 12A was sold {seats.sold} times"


def check(kind: type[UnsafeSeats]):
    """Explore two buyers booking seat 12A at once; the exploration, or its failure."""
    import sys

    def setup():
        return kind(pay=lambda: pause("calls pay() (it saw the seat free)"))

    buyers = [(f"{name} books 12A", lambda seats, name=name: seats.book("12A", name)) for name in ("ann", "bob")]
    try:
        return explore(setup, buyers, sold_once, modules=[sys.modules[__name__]], title=f"{kind.__name__}: two buyers")
    except ExplorationError as failure:
        return failure


def main() -> None:
    for kind in (UnsafeSeats, SafeSeats):
        outcome = check(kind)
        if isinstance(outcome, ExplorationError):
            print(outcome)
        else:
            print(f"{kind.__name__}: all {outcome.schedules} schedules of two buyers sell seat 12A exactly once")
        print()
    print("Notice: the failing schedule is found, and printed, the same way on every run.")


if __name__ == "__main__":
    main()
