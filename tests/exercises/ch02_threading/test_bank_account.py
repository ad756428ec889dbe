"""Graded tests for exercises/ch02_threading/bank_account.py.

Races are provoked on purpose: a 1 us switch interval (`provoke_races`) and an
`io` callable that releases the GIL between the read and the write of a
balance. The `io` callable also records how many operations of one account were
between their read and their write at the same moment: more than one means the
account was not locked, whether or not an update happened to be lost. Threads
that might deadlock are daemon threads joined with a deadline, so a deadlock
fails the test with a message instead of hanging it.
"""

from __future__ import annotations

import inspect
import random
import threading
import time

import pytest

from course.testing import Overlap, plain, provoke_races, yield_point

JOIN_SECONDS = 5.0


class Ledger:
    """The `io` callable handed to an Account: yields, and watches for overlap."""

    def __init__(self) -> None:
        self.probe = Overlap()

    def __call__(self) -> None:
        with self.probe.region():
            yield_point()

    @property
    def calls(self) -> int:
        return self.probe.entries

    @property
    def most_at_once(self) -> int:
        return self.probe.max_inside


def run_together(jobs, timeout=JOIN_SECONDS, name="worker"):
    """Run each job in its own daemon thread, all released at once.

    Returns (errors, stuck): exceptions the jobs raised, and the names of
    threads still alive after `timeout` (blocked: a deadlock).
    """
    start = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def wrap(job):
        def run():
            try:
                start.wait(timeout=5)
                job()
            except BaseException as error:  # noqa: BLE001 - reported by the test
                errors.append(error)

        return run

    threads = [threading.Thread(target=wrap(job), name=f"{name}-{i}", daemon=True) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return errors, [thread.name for thread in threads if thread.is_alive()]


def assert_finished(errors, stuck, what, timeout=JOIN_SECONDS):
    assert not stuck, (
        f"deadlock: {len(stuck)} thread(s) still blocked {timeout:.0f} s after starting {what}: "
        f"{', '.join(stuck)}. Two threads each hold one account's lock and wait for the other's; "
        "take the locks of a transfer in one global order."
    )
    assert not errors, f"{what}: a thread raised {errors[0]!r}"


# ---- task 1: one thread --------------------------------------------------------


@pytest.mark.task("single_thread")
def test_a_new_account_holds_its_opening_balance(exercise):
    assert plain(exercise.Account().balance) == 0, "Account().balance should be 0"
    assert plain(exercise.Account(50).balance) == 50, "Account(50).balance should be 50"


@pytest.mark.task("single_thread")
def test_deposit_and_withdraw_change_the_balance(exercise):
    account = exercise.Account(10)
    account.deposit(5)
    assert plain(account.balance) == 15, f"Account(10).deposit(5) left balance {account.balance}, expected 15"
    account.withdraw(12)
    assert plain(account.balance) == 3, f"then withdraw(12) left balance {account.balance}, expected 3"


@pytest.mark.task("single_thread")
def test_withdrawing_more_than_the_balance_raises_and_changes_nothing(exercise):
    account = exercise.Account(10)
    with pytest.raises(exercise.InsufficientFunds):
        account.withdraw(11)
    assert plain(account.balance) == 10, f"a refused withdraw(11) changed the balance to {account.balance}, expected 10"


@pytest.mark.task("single_thread")
def test_amounts_that_are_not_positive_are_rejected(exercise):
    account = exercise.Account(10)
    for call in (account.deposit, account.withdraw):
        for amount in (0, -5):
            with pytest.raises(ValueError):
                call(amount)
    assert plain(account.balance) == 10, f"rejected amounts changed the balance to {account.balance}"


@pytest.mark.task("single_thread")
def test_deposit_and_withdraw_call_io_between_read_and_write(exercise):
    ledger = Ledger()
    account = exercise.Account(0, io=ledger)
    account.deposit(1)
    account.withdraw(1)
    assert ledger.calls >= 2, (
        f"deposit() and withdraw() called io() {ledger.calls} time(s) in all; each must call it "
        "once between reading the balance and writing the new one"
    )


# ---- task 2: deposits from many threads ------------------------------------------


@pytest.mark.task("concurrent_deposits")
def test_concurrent_deposits_lose_no_update(exercise):
    ledger = Ledger()
    account = exercise.Account(0, io=ledger)
    threads, deposits = 4, 300

    def depositor():
        for _ in range(deposits):
            account.deposit(1)

    with provoke_races():
        errors, stuck = run_together([depositor] * threads)
    assert_finished(errors, stuck, "concurrent deposits")
    expected = threads * deposits
    assert plain(account.balance) == expected, (
        f"{threads} threads x {deposits} deposit(1) ended with balance {account.balance}, expected {expected}: "
        f"{expected - account.balance} updates were lost (read, io(), write must happen under the account's lock)"
    )
    assert ledger.most_at_once == 1, (
        f"{ledger.most_at_once} deposits to one account were between reading and writing its balance at once; "
        "the account's lock must cover the whole read-modify-write"
    )


# ---- task 3: withdrawals from many threads -----------------------------------------


@pytest.mark.task("no_overdraft")
def test_concurrent_withdrawals_never_overdraw(exercise):
    ledger = Ledger()
    account = exercise.Account(100, io=ledger)
    threads, attempts = 8, 25
    granted = []

    def withdrawer():
        for _ in range(attempts):
            try:
                account.withdraw(1)
            except exercise.InsufficientFunds:
                continue
            granted.append(1)

    with provoke_races():
        errors, stuck = run_together([withdrawer] * threads)
    assert_finished(errors, stuck, "concurrent withdrawals")
    assert len(granted) == 100 and plain(account.balance) == 0, (
        f"{threads} threads tried {threads * attempts} withdraw(1) from a balance of 100: {len(granted)} succeeded "
        f"and the balance ended at {account.balance}; expected exactly 100 to succeed and a balance of 0 "
        "(check the funds and write the new balance under the same lock)"
    )
    assert ledger.most_at_once == 1, f"{ledger.most_at_once} withdrawals were between read and write at once"


@pytest.mark.task("no_overdraft")
def test_deposits_and_withdrawals_interleave_safely(exercise):
    ledger = Ledger()
    account = exercise.Account(1000, io=ledger)
    rounds = 250

    def depositor():
        for _ in range(rounds):
            account.deposit(2)

    def withdrawer():
        for _ in range(rounds):
            account.withdraw(2)

    with provoke_races():
        errors, stuck = run_together([depositor, withdrawer, depositor, withdrawer])
    assert_finished(errors, stuck, "deposits and withdrawals")
    assert plain(account.balance) == 1000, (
        f"2 threads deposited 2 x {rounds} times and 2 withdrew 2 x {rounds} times from 1000; "
        f"the balance ended at {account.balance}, expected 1000"
    )


# ---- task 4: transfers are all or nothing ------------------------------------------


@pytest.mark.task("atomic_transfer")
def test_a_transfer_moves_money(exercise):
    source, target = exercise.Account(30), exercise.Account(5)
    exercise.transfer(source, target, 20)
    assert plain((source.balance, target.balance)) == (10, 25), (
        f"transfer(Account(30), Account(5), 20) left balances {(source.balance, target.balance)}, expected (10, 25)"
    )


@pytest.mark.task("atomic_transfer")
def test_a_refused_transfer_changes_neither_account(exercise):
    source, target = exercise.Account(10), exercise.Account(0)
    with pytest.raises(exercise.InsufficientFunds):
        exercise.transfer(source, target, 11)
    assert plain((source.balance, target.balance)) == (10, 0), (
        f"a refused transfer of 11 from a balance of 10 left balances {(source.balance, target.balance)}, "
        "expected (10, 0): check the funds before moving anything"
    )
    with pytest.raises(ValueError):
        exercise.transfer(source, target, 0)


@pytest.mark.task("atomic_transfer")
def test_concurrent_transfers_conserve_the_total(exercise):
    ledgers = [Ledger() for _ in range(4)]
    accounts = [exercise.Account(500, io=ledger) for ledger in ledgers]

    def trader(seed):
        def run():
            rng = random.Random(seed)
            for _ in range(150):
                source, target = rng.sample(accounts, 2)
                try:
                    exercise.transfer(source, target, rng.randint(1, 40))
                except exercise.InsufficientFunds:
                    pass

        return run

    with provoke_races():
        errors, stuck = run_together([trader(seed) for seed in range(4)])
    assert_finished(errors, stuck, "random transfers between 4 accounts")
    balances = plain([account.balance for account in accounts])
    assert sum(balances) == 2000 and min(balances) >= 0, (
        f"4 threads made random transfers between 4 accounts of 500; balances ended at {balances} "
        f"(total {sum(balances)}), expected a total of 2000 and no negative balance"
    )
    worst = max(ledger.most_at_once for ledger in ledgers)
    assert worst == 1, f"{worst} operations on one account were between read and write at once"


SNEAK_SECONDS = 0.5  # how long a transfer halfway through gives another thread's deposit to slip in


@pytest.mark.task("atomic_transfer")
def test_nothing_slips_in_halfway_through_a_transfer(exercise):
    """Between taking the money out of one account and putting it into the other, that account stays locked."""
    transferring = threading.current_thread()
    touched: list[str] = []
    accounts: dict[str, object] = {}
    sneak: dict[str, object] = {}

    def io_for(name):
        def io():
            if threading.current_thread() is not transferring or "thread" in sneak:
                return
            touched.append(name)
            if name == touched[0]:
                return
            # The transfer has moved on to the second account: the first must still be locked.
            done = threading.Event()
            first = accounts[touched[0]]
            sneak["thread"] = threading.Thread(target=lambda: (first.deposit(1), done.set()), name="sneaky-deposit", daemon=True)
            sneak["thread"].start()
            sneak["slipped_in"] = done.wait(SNEAK_SECONDS)

        return io

    accounts["source"] = source = exercise.Account(100, io=io_for("source"))
    accounts["target"] = target = exercise.Account(0, io=io_for("target"))
    try:
        exercise.transfer(source, target, 30)
    finally:
        if "thread" in sneak:
            sneak["thread"].join(JOIN_SECONDS)
    if "thread" not in sneak:
        return  # the transfer never called io() on both accounts: no halfway point to look at
    assert not sneak["thread"].is_alive(), "the other thread's deposit never finished after the transfer (a lock was not released)"
    assert not sneak["slipped_in"], (
        f"transfer(source, target, 30) called io() on {touched[0]} and then on {touched[1]}; meanwhile another "
        f"thread's deposit(1) to {touched[0]} ran to completion: halfway through the transfer, when the money had "
        "left one account and not yet arrived in the other, the first account was unlocked. Hold both accounts' "
        "locks for the whole transfer"
    )
    expected = (71, 30) if touched[0] == "source" else (70, 31)
    assert plain((source.balance, target.balance)) == expected, (
        f"transfer(source, target, 30) from 100 to 0 and a deposit of 1 to {touched[0]} left the balances "
        f"{(source.balance, target.balance)}, expected {expected}"
    )


@pytest.mark.task("atomic_transfer")
def test_a_transfer_checks_the_funds_under_the_locks(exercise):
    """Two transfers of 60 from a balance of 100: one must be refused, whenever the other comes in."""
    if not isinstance(inspect.getattr_static(exercise.Account, "balance", None), property):
        return  # balance is a plain attribute: reading it gives no chance to look halfway through
    transferring = threading.current_thread()
    state: dict[str, object] = {}
    outcomes: list[str] = []

    def other_transfer():
        try:
            exercise.transfer(source, elsewhere, 60)
            outcomes.append("moved")
        except exercise.InsufficientFunds:
            outcomes.append("refused")

    class Watched(exercise.Account):
        @property
        def balance(self):
            value = super().balance
            if self is source and state.get("armed") and threading.current_thread() is transferring and "thread" not in state:
                # The transfer has read the funds: a second transfer of the same money comes in now.
                state["thread"] = threading.Thread(target=other_transfer, name="second-transfer", daemon=True)
                state["thread"].start()
                state["thread"].join(SNEAK_SECONDS)
            return value

    source, target, elsewhere = Watched(100), Watched(0), Watched(0)
    state["armed"] = True
    try:
        try:
            exercise.transfer(source, target, 60)
            outcomes.append("moved")
        except exercise.InsufficientFunds:
            outcomes.append("refused")
    finally:
        state["armed"] = False
        if "thread" in state:
            state["thread"].join(JOIN_SECONDS)
    if "thread" not in state:
        return  # the transfer never read source.balance: there was no check to come in after
    assert not state["thread"].is_alive(), "the second transfer never finished after the first (a lock was not released)"
    balances = plain((source.balance, target.balance, elsewhere.balance))
    assert sorted(outcomes) == ["moved", "refused"] and sum(balances) == 100 and min(balances) >= 0, (
        "transfer(source, target, 60) read source.balance (100) and, right after, another thread ran "
        f"transfer(source, elsewhere, 60): the transfers {' and '.join(outcomes)} and the balances ended at "
        f"{balances}; expected one transfer to be refused. The funds were checked before the locks were taken: "
        "check them and move the money under the same locks"
    )


# ---- task 5: transfers never deadlock ----------------------------------------------


@pytest.mark.task("no_deadlock")
def test_opposite_transfers_do_not_deadlock(exercise):
    # A lock-order deadlock needs an unlucky switch between taking the first and
    # the second lock; with a 1 us switch interval it comes within a few hundred
    # transfers, so 3,000 make it certain for wrong code (and take ~0.2 s for right code).
    a, b = exercise.Account(10_000, io=yield_point), exercise.Account(10_000, io=yield_point)

    def pay(source, target):
        def run():
            for _ in range(3000):
                exercise.transfer(source, target, 1)

        return run

    with provoke_races():
        errors, stuck = run_together([pay(a, b), pay(b, a)], name="transfer")
    assert_finished(errors, stuck, "transfer(a, b) in one thread and transfer(b, a) in another")
    assert plain(a.balance) + plain(b.balance) == 20_000, f"opposite transfers changed the total to {a.balance + b.balance}, expected 20000"


@pytest.mark.task("no_deadlock")
def test_a_cycle_of_transfers_does_not_deadlock(exercise):
    accounts = [exercise.Account(1000, io=yield_point) for _ in range(3)]

    def pay(source, target):
        def run():
            for _ in range(1000):
                exercise.transfer(source, target, 1)

        return run

    jobs = [pay(accounts[i], accounts[(i + 1) % 3]) for i in range(3)]
    with provoke_races():
        errors, stuck = run_together(jobs, name="transfer")
    assert_finished(errors, stuck, "three threads transferring a->b, b->c and c->a")


@pytest.mark.task("no_deadlock")
def test_a_transfer_to_the_same_account_returns(exercise):
    account = exercise.Account(100)
    errors, stuck = run_together([lambda: exercise.transfer(account, account, 10)], timeout=3, name="self-transfer")
    assert not stuck, (
        "transfer(a, a, 10) never returned: the thread blocks on a lock it already holds "
        "(handle source is target, or use a reentrant lock)"
    )
    assert not errors, f"transfer(a, a, 10) raised {errors[0]!r}"
    assert plain(account.balance) == 100, f"transfer(a, a, 10) changed the balance to {account.balance}, expected 100"
