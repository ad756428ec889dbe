"""Graded tests for exercises/ch02_threading/bank_account.py.

Races are provoked on purpose: a 1 us switch interval (`provoke_races`) and an
`io` callable that releases the GIL between the read and the write of a
balance. The `io` callable also records how many operations of one account were
between their read and their write at the same moment: more than one means the
account was not locked, whether or not an update happened to be lost. Threads
that might deadlock are daemon threads joined with a deadline, so a deadlock
fails the test with a message instead of hanging it: they report their
progress, and when none of them has made any for STALL_SECONDS the test reports
the deadlock with every stuck thread's stack (a right account finishes long
before, a wrong one is caught in seconds, not at the test's timeout).

Value-level behaviour in one thread is checked against a sequential model with
hypothesis, under a fixed profile (derandomized, no example database), so every
grading run tries the same cases.
"""

from __future__ import annotations

import inspect
import random
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course.testing import Overlap, plain, provoke_races, yield_point
from course.testing.explore import explore, pause
from course.testing.stacks import format_stacks, thread_stacks

JOIN_SECONDS = 5.0
RUN_SECONDS = 15.0  # all of run_together's threads: a loaded machine slows right code; a stall is caught sooner
STALL_SECONDS = 1.5  # no thread made progress for this long: they are stuck
MODEL = settings(
    derandomize=True,
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


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


class Progress:
    """A counter the jobs bump after every operation: a stall means they are stuck."""

    def __init__(self) -> None:
        self.done = 0
        self.stalled = False  # set by run_together when it gave up on a stall

    def step(self) -> None:
        self.done += 1  # racy increments are fine: any change is progress


def run_together(jobs, timeout=RUN_SECONDS, name="worker", progress=None):
    """Run each job in its own daemon thread, all released at once.

    Returns (errors, stuck): exceptions the jobs raised, and the threads still
    alive when `timeout` passed or, given a `progress` counter, when it had not
    moved for STALL_SECONDS (blocked: a deadlock).
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
    started = last_change = time.monotonic()
    seen = progress.done if progress else 0
    while alive := [thread for thread in threads if thread.is_alive()]:
        now = time.monotonic()
        if progress is not None and progress.done != seen:
            seen, last_change = progress.done, now
        if progress is not None and now - last_change > STALL_SECONDS:
            progress.stalled = True
            break
        if now - started > timeout:
            break
        alive[0].join(0.01)
    return errors, [thread for thread in threads if thread.is_alive()]


def stacks(threads) -> str:
    """Where each thread is now: the last frames of its stack (read as text: a frame object
    of a thread still running can crash the interpreter, course.testing.stacks)."""
    return format_stacks(thread_stacks(), [thread.ident for thread in threads], last=3)


def assert_finished(errors, stuck, what, timeout=RUN_SECONDS, progress=None):
    waited = f"no operation completed for {STALL_SECONDS} s" if progress is not None and progress.stalled else f"within {timeout:.0f} s"
    assert not stuck, (
        f"{what} did not finish ({waited}): deadlock? {len(stuck)} thread(s) still blocked "
        f"({', '.join(t.name for t in stuck)}), here:\n{stacks(stuck)}"
    )
    assert not errors, f"{what}: a thread raised {errors[0]!r}"


# ---- task 1: one thread --------------------------------------------------------


def outcome(call):
    """What a call did: ('ok', None) or ('raised', the exception's class name)."""
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the model says which, if any, is expected
        return ("raised", type(error).__name__)
    return ("ok", None)


@pytest.mark.task("single_thread")
def test_a_new_account_holds_its_opening_balance(exercise):
    assert plain(exercise.Account().balance) == 0, "Account().balance should be 0"
    assert plain(exercise.Account(50).balance) == 50, "Account(50).balance should be 50"
    with pytest.raises(ValueError):
        exercise.Account(-1)


@pytest.mark.task("single_thread")
def test_deposit_and_withdraw_change_the_balance(exercise):
    account = exercise.Account(10)
    account.deposit(5)
    assert plain(account.balance) == 15, f"Account(10).deposit(5) left balance {account.balance}, expected 15"
    account.withdraw(12)
    assert plain(account.balance) == 3, f"then withdraw(12) left balance {account.balance}, expected 3"
    account.withdraw(3)
    assert plain(account.balance) == 0, f"then withdraw(3) of the whole balance left {account.balance}, expected 0"


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
def test_deposit_and_withdraw_call_io_once_each(exercise):
    ledger = Ledger()
    account = exercise.Account(5, io=ledger)
    account.deposit(1)
    assert ledger.calls == 1, f"Account(5, io=io).deposit(1) called io() {ledger.calls} time(s), expected once"
    account.withdraw(6)
    assert ledger.calls == 2, f"then withdraw(6) called io() {ledger.calls - 1} time(s), expected once"


@pytest.mark.task("single_thread")
@MODEL
@given(
    opening=st.integers(0, 50),
    operations=st.lists(st.tuples(st.sampled_from(["deposit", "withdraw"]), st.integers(-3, 60)), max_size=12),
)
def test_one_thread_matches_the_model_account(exercise, opening, operations):
    """Every sequence of deposits and withdrawals does what a plain integer balance does."""
    account = exercise.Account(opening)
    balance, history = opening, f"Account({opening})"
    for name, amount in operations:
        if amount <= 0:
            expected = ("raised", "ValueError")
        elif name == "withdraw" and amount > balance:
            expected = ("raised", "InsufficientFunds")
        else:
            expected = ("ok", None)
            balance += amount if name == "deposit" else -amount
        history += f".{name}({amount})"
        got = outcome(lambda: getattr(account, name)(amount))
        assert got == expected, f"{history}: {got[0]} {got[1] or ''}, expected {expected[0]} {expected[1] or ''}".rstrip()
        assert plain(account.balance) == balance, f"after {history} the balance is {account.balance}, expected {balance}"


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
        f"{threads} threads x {deposits} deposit(1) ended with balance {account.balance}, expected {expected} "
        f"({expected - account.balance} deposits are missing)"
    )
    assert ledger.most_at_once == 1, (
        f"{threads} threads x {deposits} deposit(1): {ledger.most_at_once} deposits to one account were inside "
        "io() (between reading and writing its balance) at the same moment, expected 1"
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
        f"and the balance ended at {account.balance}; expected exactly 100 to succeed and a balance of 0"
    )
    assert ledger.most_at_once == 1, (
        f"{ledger.most_at_once} withdrawals from one account were inside io() at the same moment, expected 1"
    )


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
    exercise.transfer(source, target, 10)
    assert plain((source.balance, target.balance)) == (0, 35), (
        f"then transfer(source, target, 10) of the whole balance left {(source.balance, target.balance)}, "
        "expected (0, 35)"
    )


@pytest.mark.task("atomic_transfer")
def test_a_refused_transfer_changes_neither_account(exercise):
    source, target = exercise.Account(10), exercise.Account(0)
    with pytest.raises(exercise.InsufficientFunds):
        exercise.transfer(source, target, 11)
    assert plain((source.balance, target.balance)) == (10, 0), (
        f"a refused transfer of 11 from a balance of 10 left balances {(source.balance, target.balance)}, "
        "expected (10, 0)"
    )
    for amount in (0, -3):
        with pytest.raises(ValueError):
            exercise.transfer(source, target, amount)
        assert plain((source.balance, target.balance)) == (10, 0), (
            f"transfer(source, target, {amount}) raised and left balances {(source.balance, target.balance)}, "
            "expected (10, 0)"
        )


@pytest.mark.task("atomic_transfer")
def test_a_transfer_calls_io_once_on_each_account(exercise):
    ledgers = Ledger(), Ledger()
    source, target = exercise.Account(10, io=ledgers[0]), exercise.Account(0, io=ledgers[1])
    exercise.transfer(source, target, 4)
    calls = (ledgers[0].calls, ledgers[1].calls)
    assert calls == (1, 1), f"transfer(source, target, 4) called io() {calls[0]} time(s) on source and {calls[1]} on target, expected once on each"


@pytest.mark.task("atomic_transfer")
@MODEL
@given(
    openings=st.lists(st.integers(0, 40), min_size=3, max_size=3),
    moves=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(-2, 50)).filter(lambda m: m[0] != m[1]), max_size=10),
)
def test_transfers_in_one_thread_match_the_model(exercise, openings, moves):
    """Any sequence of transfers between three accounts does what three plain integers do."""
    accounts = [exercise.Account(balance) for balance in openings]
    balances = list(openings)
    history = f"accounts {openings}"
    for source, target, amount in moves:
        if amount <= 0:
            expected = ("raised", "ValueError")
        elif amount > balances[source]:
            expected = ("raised", "InsufficientFunds")
        else:
            expected = ("ok", None)
            balances[source] -= amount
            balances[target] += amount
        history += f", transfer({source}, {target}, {amount})"
        got = outcome(lambda: exercise.transfer(accounts[source], accounts[target], amount))
        assert got == expected, f"{history}: {got[0]} {got[1] or ''}, expected {expected[0]} {expected[1] or ''}".rstrip()
        now = plain([account.balance for account in accounts])
        assert now == balances, f"after {history} the balances are {now}, expected {balances}"


@pytest.mark.task("atomic_transfer")
def test_concurrent_transfers_conserve_the_total(exercise):
    # Money only flows from an older account to a newer one: every transfer
    # meets the locks in the same order, so this judges atomicity, not lock order.
    ledgers = [Ledger() for _ in range(4)]
    accounts = [exercise.Account(500, io=ledger) for ledger in ledgers]
    progress = Progress()

    def trader(seed):
        def run():
            rng = random.Random(seed)
            for _ in range(150):
                source, target = sorted(rng.sample(accounts, 2), key=accounts.index)
                try:
                    exercise.transfer(source, target, rng.randint(1, 40))
                except exercise.InsufficientFunds:
                    pass
                progress.step()

        return run

    with provoke_races():
        errors, stuck = run_together([trader(seed) for seed in range(4)], progress=progress)
    assert_finished(errors, stuck, "random transfers between 4 accounts, from older to newer ones", progress=progress)
    balances = plain([account.balance for account in accounts])
    assert sum(balances) == 2000 and min(balances) >= 0, (
        f"4 threads made random transfers from older to newer accounts of 500; balances ended at {balances} "
        f"(total {sum(balances)}), expected a total of 2000 and no negative balance"
    )
    worst = max(ledger.most_at_once for ledger in ledgers)
    assert worst == 1, f"{worst} operations on one account were inside io() at the same moment, expected 1"


SNEAK_SECONDS = 0.5  # how long a transfer halfway through gives another thread's deposit to slip in


@pytest.mark.task("atomic_transfer")
@pytest.mark.parametrize("operation", ["deposit(1)", "balance"])
def test_nothing_slips_in_halfway_through_a_transfer(exercise, operation):
    """Between taking the money out of one account and putting it into the other, that
    account stays locked: neither a deposit nor a look at its balance gets in."""
    transferring = threading.current_thread()
    touched: list[str] = []
    accounts: dict[str, object] = {}
    sneak: dict[str, object] = {}

    def sneaky(account) -> None:
        if operation == "balance":
            sneak["seen"] = account.balance
        else:
            account.deposit(1)

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
            sneak["thread"] = threading.Thread(target=lambda: (sneaky(first), done.set()), name=f"sneaky-{operation}",
                                               daemon=True)
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
    assert "thread" in sneak, (
        f"transfer(source, target, 30) called io() on {touched or 'neither account'}, expected once on each account"
    )
    what = f"another thread's {operation} on {touched[0]}"
    assert not sneak["thread"].is_alive(), f"{what} was still blocked {JOIN_SECONDS:.0f} s after transfer(source, target, 30) returned"
    assert not sneak["slipped_in"], (
        f"transfer(source, target, 30) called io() on {touched[0]} and then on {touched[1]}; between the two, "
        f"{what} ran to completion" + (f" (it saw {sneak['seen']})" if "seen" in sneak else "")
        + ". Expected it to wait until the transfer had finished"
    )
    if operation == "balance":
        expected = (70, 30)
        after = expected[0] if touched[0] == "source" else expected[1]
        assert plain(sneak["seen"]) == after, f"{what} saw {sneak['seen']!r}, expected {after} (after the transfer)"
    else:
        expected = (71, 30) if touched[0] == "source" else (70, 31)
    assert plain((source.balance, target.balance)) == expected, (
        f"transfer(source, target, 30) from 100 to 0 and {what} left the balances "
        f"{(source.balance, target.balance)}, expected {expected}"
    )


@pytest.mark.task("atomic_transfer")
def test_the_other_account_is_locked_from_the_start_of_a_transfer(exercise):
    """While the transfer is at its first account, the second one is locked already."""
    transferring = threading.current_thread()
    touched: list[str] = []
    accounts: dict[str, object] = {}
    sneak: dict[str, object] = {}

    def io_for(name):
        def io():
            if threading.current_thread() is not transferring or "thread" in sneak:
                return
            touched.append(name)
            other = accounts["target" if name == "source" else "source"]
            done = threading.Event()
            sneak["thread"] = threading.Thread(target=lambda: (other.deposit(1), done.set()), name="sneaky-deposit", daemon=True)
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
    assert "thread" in sneak, "transfer(source, target, 30) never called io(), expected once on each account"
    other = "target" if touched[0] == "source" else "source"
    assert not sneak["thread"].is_alive(), (
        f"another thread's deposit(1) to {other} was still blocked {JOIN_SECONDS:.0f} s after "
        "transfer(source, target, 30) returned"
    )
    assert not sneak["slipped_in"], (
        f"transfer(source, target, 30) called io() on {touched[0]} first; meanwhile another thread's deposit(1) to "
        f"{other} ran to completion. Expected that deposit to wait until the transfer had finished"
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
    assert not state["thread"].is_alive(), (
        f"transfer(source, elsewhere, 60) in another thread was still blocked {JOIN_SECONDS:.0f} s after "
        "transfer(source, target, 60) returned"
    )
    balances = plain((source.balance, target.balance, elsewhere.balance))
    assert sorted(outcomes) == ["moved", "refused"] and sum(balances) == 100 and min(balances) >= 0, (
        "transfer(source, target, 60) read source.balance (100) and, right after, another thread ran "
        f"transfer(source, elsewhere, 60): the transfers {' and '.join(outcomes)} and the balances ended at "
        f"{balances}; expected one transfer to be refused and the balances to add up to 100"
    )


# ---- task 5: transfers never deadlock ----------------------------------------------


def paying(exercise, progress, source, target, times):
    def run():
        for _ in range(times):
            exercise.transfer(source, target, 1)
            progress.step()

    return run


# The threads these tests start are their own daemon threads; a deadlocked pair
# already fails the test with its stacks and must not also wait out the leak check.
@pytest.mark.allow_leaks
@pytest.mark.task("no_deadlock")
def test_opposite_transfers_do_not_deadlock(exercise):
    # A lock-order deadlock needs an unlucky switch between taking the first and
    # the second lock; with a 1 us switch interval it comes within a few hundred
    # transfers, so 3,000 make it certain for wrong code (and take ~0.2 s for right code).
    a, b = exercise.Account(10_000, io=yield_point), exercise.Account(10_000, io=yield_point)
    progress = Progress()
    with provoke_races():
        errors, stuck = run_together(
            [paying(exercise, progress, a, b, 3000), paying(exercise, progress, b, a, 3000)],
            name="transfer",
            progress=progress,
        )
    assert_finished(errors, stuck, "transfers in opposite directions (a to b, b to a)", progress=progress)
    assert plain(a.balance) + plain(b.balance) == 20_000, f"opposite transfers changed the total to {a.balance + b.balance}, expected 20000"


@pytest.mark.allow_leaks
@pytest.mark.task("no_deadlock")
def test_a_cycle_of_transfers_does_not_deadlock(exercise):
    accounts = [exercise.Account(1000, io=yield_point) for _ in range(3)]
    progress = Progress()
    jobs = [paying(exercise, progress, accounts[i], accounts[(i + 1) % 3], 1000) for i in range(3)]
    with provoke_races():
        errors, stuck = run_together(jobs, name="transfer", progress=progress)
    assert_finished(errors, stuck, "three threads transferring a to b, b to c and c to a", progress=progress)


@pytest.mark.allow_leaks
@pytest.mark.task("no_deadlock")
def test_a_transfer_to_the_same_account_returns_and_is_checked(exercise):
    account = exercise.Account(100)
    for amount, expected in ((10, ("ok", None)), (100, ("ok", None)), (101, ("raised", "InsufficientFunds")), (0, ("raised", "ValueError")), (-1, ("raised", "ValueError"))):
        got = []
        errors, stuck = run_together([lambda: got.append(outcome(lambda: exercise.transfer(account, account, amount)))], timeout=3, name="self-transfer")
        assert not stuck, f"transfer(a, a, {amount}) on a balance of 100 did not return within 3 s:\n{stacks(stuck)}"
        assert not errors, f"transfer(a, a, {amount}) raised {errors[0]!r}"
        assert got == [expected], f"transfer(a, a, {amount}) on a balance of 100: {got[0][0]} {got[0][1] or ''}, expected {expected[0]} {expected[1] or ''}".rstrip()
        assert plain(account.balance) == 100, f"transfer(a, a, {amount}) changed the balance to {account.balance}, expected 100"



# ---- task 6: every schedule of small scenarios ---------------------------------------
# course.testing.explore runs two threads under every order of their steps (taking or
# giving back a lock, and each io() call, where the explorer may switch threads), so
# these scenarios are proven for every interleaving, not sampled. A failure lists the
# schedule that broke the account, step by step.


def accounts(exercise, **balances):
    """Accounts by name, each with an io() where the explorer may switch threads."""
    def io_of(name):
        return lambda: pause(f"calls io() on account {name} (it has read the balance, not yet written it)")

    return {name: exercise.Account(balance, io=io_of(name)) for name, balance in balances.items()}


def attempt(state, call):
    """Run `call`; count it in state['made'] when it went through, not when it was
    refused with state['refusal'] (any other exception fails the schedule)."""
    try:
        call()
    except state["refusal"]:
        return
    state["made"] += 1


def explore_bank(exercise, title, setup, workers, invariant):
    result = explore(setup, workers, invariant, modules=[exercise], title=title)
    assert result.schedules >= 2, f"{title}: only {result.schedules} schedule explored (no point where threads could switch?)"


@pytest.mark.task("every_schedule")
def test_every_schedule_of_two_deposits_loses_nothing(exercise):
    def invariant(state):
        assert plain(state["A"].balance) == 120, f"A holds {state['A'].balance} after two deposits of 10 on 100, expected 120"

    explore_bank(exercise, "two deposits of 10 on an account A holding 100", lambda: accounts(exercise, A=100),
                 [("deposit 10 on A", lambda state: state["A"].deposit(10))] * 2, invariant)


@pytest.mark.task("every_schedule")
def test_every_schedule_of_two_withdrawals_lets_exactly_one_through(exercise):
    def setup():
        return {**accounts(exercise, A=100), "made": 0, "refusal": exercise.InsufficientFunds}

    def invariant(state):
        assert (state["made"], plain(state["A"].balance)) == (1, 40), (
            f"two withdrawals of 60 from 100: {state['made']} went through and A holds {state['A'].balance}; "
            "expected exactly one, leaving 40 (the other refused with InsufficientFunds)")

    explore_bank(exercise, "two withdrawals of 60 from an account A holding 100", setup,
                 [("withdraw 60 from A", lambda state: attempt(state, lambda: state["A"].withdraw(60)))] * 2, invariant)


@pytest.mark.task("every_schedule")
def test_every_schedule_of_opposite_transfers_finishes_and_conserves(exercise):
    def invariant(state):
        got = (plain(state["A"].balance), plain(state["B"].balance))
        assert got == (90, 110), f"A and B hold {got} after moving 30 from A to B and 20 from B to A (both 100 before), expected (90, 110)"

    explore_bank(exercise, "transfer(A, B, 30) and transfer(B, A, 20) at once", lambda: accounts(exercise, A=100, B=100),
                 [("transfer 30 from A to B", lambda state: exercise.transfer(state["A"], state["B"], 30)),
                  ("transfer 20 from B to A", lambda state: exercise.transfer(state["B"], state["A"], 20))], invariant)


@pytest.mark.task("every_schedule")
def test_every_schedule_of_two_transfers_from_one_account_lets_exactly_one_through(exercise):
    def setup():
        return {**accounts(exercise, A=100, B=0, C=0), "made": 0, "refusal": exercise.InsufficientFunds}

    def invariant(state):
        got = tuple(plain(state[name].balance) for name in "ABC")
        assert state["made"] == 1 and got[0] == 40 and sum(got) == 100, (
            f"two transfers of 60 out of A (holding 100): {state['made']} went through, A, B, C hold {got}; "
            "expected exactly one, A left with 40 and 100 in all")

    explore_bank(exercise, "transfer(A, B, 60) and transfer(A, C, 60) at once, A holding 100", setup,
                 [("transfer 60 from A to B", lambda state: attempt(state, lambda: exercise.transfer(state["A"], state["B"], 60))),
                  ("transfer 60 from A to C", lambda state: attempt(state, lambda: exercise.transfer(state["A"], state["C"], 60)))],
                 invariant)


@pytest.mark.task("every_schedule")
def test_no_schedule_shows_a_transfer_halfway(exercise):
    def look(state):
        state["seen"] = (state["A"].balance, state["B"].balance)

    def invariant(state):
        a, b = plain(state["seen"][0]), plain(state["seen"][1])
        assert (a, b) in {(100, 100), (100, 130), (70, 130)}, (
            f"a thread reading A's balance and then B's saw A = {a} and B = {b} while 30 moved from A to B "
            "(both 100 before): " + ("the 30 were in neither account" if (a, b) == (70, 100) else "impossible balances"))

    explore_bank(exercise, "transfer(A, B, 30) while another thread reads A's balance and then B's",
                 lambda: accounts(exercise, A=100, B=100),
                 [("transfer 30 from A to B", lambda state: exercise.transfer(state["A"], state["B"], 30)),
                  ("read A's balance, then B's", look)], invariant)
