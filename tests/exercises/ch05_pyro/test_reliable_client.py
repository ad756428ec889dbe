"""Graded tests for exercises/ch05_pyro/reliable_client.py.

The ledger runs in a daemon thread of the test process (course.testing.pyro),
registered in a name server process of the test's own, both on 127.0.0.1 and
free ports. Failures are made on purpose, never waited for:

- a lost reply: the ledger's `io` (called halfway through a deposit) cuts every
  open connection, so the deposit is made and its reply never arrives;
- a crash: `Server.crash()` closes the daemon and its connections at once and
  leaves the name behind, as a killed process would; the ledger object lives
  on and is served again by a new daemon on another port under the same name.

Clients run in a thread of their own joined with a deadline, so a client that
retries forever fails its test instead of hanging it.
"""

from __future__ import annotations

import contextlib
import threading
import time

import pytest

import Pyro5.api
import Pyro5.errors
from course.testing import YieldingIO as Disk
from course.testing import plain, provoke_races, wait_until
from course.testing.pyro import Server, exposed, name_server

NAME = "course.test.ledger"
JOIN_SECONDS = 15.0


class Retries:
    """An on_retry callable that records its calls and may act on them."""

    def __init__(self, action=None) -> None:
        self.calls: list[tuple[int, str, bool]] = []
        self.action = action

    def __call__(self, attempt, error) -> None:
        self.calls.append((attempt, type(error).__name__, isinstance(error, Pyro5.errors.CommunicationError)))
        if self.action is not None and len(self.calls) == 1:
            self.action()


def in_thread(job):
    """Run job() in a thread (a client lives in the thread that uses it); its result or error."""
    box: dict = {}

    def run():
        try:
            box["result"] = job()
        except BaseException as error:  # noqa: BLE001 - handed to the test
            box["error"] = error

    thread = threading.Thread(target=run, name="ledger-client", daemon=True)
    thread.start()
    thread.join(JOIN_SECONDS)
    assert not thread.is_alive(), f"the client was still busy after {JOIN_SECONDS:.0f} s: does it retry forever?"
    return box


def result_of(box, what):
    if "error" in box:
        raise AssertionError(f"{what} raised {box['error']!r}") from box["error"]
    return box["result"]


@contextlib.contextmanager
def ledger_served(exercise, io=None):
    """A name server, and a daemon serving one Ledger under NAME; yields (ns, server, ledger)."""
    with name_server() as ns, contextlib.ExitStack() as stack:
        server = stack.enter_context(Server())
        ledger = exercise.Ledger(io=io)
        server.register(ledger, NAME, ns)
        yield ns, server, ledger, stack


def restart(ns, ledger, stack):
    """Serve the same ledger from a new daemon (a new port) under the same name."""
    server = stack.enter_context(Server())
    server.register(ledger, NAME, ns)
    return server


def wait_quietly(predicate, timeout):
    """True as soon as predicate() is; False when `timeout` passed first."""
    try:
        return wait_until(predicate, timeout)
    except AssertionError:
        return False


def client(exercise, ns, **options):
    return exercise.LedgerClient(NAME, ns.host, ns.port, **options)


# ---- task: the ledger --------------------------------------------------------------


@pytest.mark.task("ledger")
def test_deposits_add_up_and_return_the_new_balance(exercise):
    ledger = exercise.Ledger()
    assert plain(ledger.balance()) == 0, "a new Ledger().balance() should be 0"
    assert plain(ledger.deposit("a", 5)) == 5, "deposit('a', 5) on a new ledger should return 5"
    assert plain(ledger.deposit("b", 3)) == 8, "then deposit('b', 3) should return 8"
    assert plain(ledger.balance()) == 8, f"then balance() returned {ledger.balance()}, expected 8"


@pytest.mark.task("ledger")
def test_a_repeated_request_changes_nothing_and_gets_its_first_answer(exercise):
    disk = Disk()
    ledger = exercise.Ledger(io=disk)
    ledger.deposit("a", 5)
    ledger.deposit("b", 1)
    assert plain(ledger.deposit("a", 5)) == 5, "deposit('a', 5) again returned something else than its first answer, 5"
    assert plain(ledger.balance()) == 6, f"deposits a:5, b:1, a:5 again left balance {ledger.balance()}, expected 6"
    assert disk.probe.entries == 2, f"two deposits and one repeat called io() {disk.probe.entries} times, expected 2"
    with pytest.raises(ValueError):
        ledger.deposit("a", 6)
    assert plain(ledger.balance()) == 6, "a refused deposit('a', 6) (id 'a' was a deposit of 5) changed the balance"


@pytest.mark.task("ledger")
@pytest.mark.parametrize("amount", [0, -2, True, 1.5, "5"])
def test_an_amount_that_is_not_a_positive_int_is_refused_and_not_remembered(exercise, amount):
    disk = Disk()
    ledger = exercise.Ledger(io=disk)
    with pytest.raises(ValueError):
        ledger.deposit("x", amount)
    assert plain(ledger.balance()) == 0 and disk.probe.entries == 0, (
        f"a refused deposit('x', {amount!r}) changed the balance to {ledger.balance()} or called io()"
    )
    assert plain(ledger.deposit("x", 2)) == 2, f"after the refused deposit('x', {amount!r}), deposit('x', 2) should return 2"


@pytest.mark.task("ledger")
def test_a_repeat_that_arrives_while_the_first_is_halfway_waits_for_its_answer(exercise):
    """A retry can reach the ledger while the first attempt is still being made (its
    connection broke, the work goes on): it must wait, then get the first answer."""
    inside, release = threading.Event(), threading.Event()

    def io():
        if not inside.is_set():
            inside.set()
            release.wait(5)

    ledger = exercise.Ledger(io=io)
    answers: list = []
    first = threading.Thread(target=lambda: answers.append(("first", ledger.deposit("x", 5))))
    repeat = threading.Thread(target=lambda: answers.append(("repeat", ledger.deposit("x", 5))))
    first.start()
    try:
        assert inside.wait(5), "deposit('x', 5) never called io()"
        repeat.start()
        repeat.join(REPEAT_SECONDS)  # it should be waiting for the first: give it time to get that far
    finally:
        release.set()
        first.join(5)
        if repeat.ident is not None:
            repeat.join(5)
    assert plain(ledger.balance()) == 5 and plain(sorted(answers)) == [("first", 5), ("repeat", 5)], (
        f"deposit('x', 5) and its repeat while the first was halfway left the balance at {ledger.balance()} "
        f"and answered {sorted(answers)}; expected 5, and 5 to both"
    )


REPEAT_SECONDS = 0.3


@pytest.mark.task("ledger")
def test_deposits_from_many_threads_lose_nothing(exercise):
    disk = Disk()
    ledger = exercise.Ledger(io=disk)
    start = threading.Barrier(4)

    def depositor(n):
        start.wait(timeout=5)
        for i in range(100):
            ledger.deposit(f"{n}-{i}", 1)

    with provoke_races():
        threads = [threading.Thread(target=depositor, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(JOIN_SECONDS)
    assert plain(ledger.balance()) == 400, f"4 threads x 100 deposits of 1 left balance {ledger.balance()}, expected 400"
    assert disk.probe.max_inside == 1, f"{disk.probe.max_inside} deposits were between read and write at once, expected 1"


@pytest.mark.task("ledger")
def test_clients_can_call_deposit_and_balance_only(exercise):
    methods, attributes, _ = exposed(exercise.Ledger())
    assert plain(methods) == ["balance", "deposit"] and not attributes, (
        f"clients can call {methods} and read {attributes}; expected exactly balance and deposit"
    )


# ---- task: a lost reply ------------------------------------------------------------


@pytest.mark.task("lost_reply")
def test_a_deposit_whose_reply_is_lost_is_made_exactly_once(exercise):
    cuts: list[int] = []

    def cut_once():
        if not cuts:
            cuts.append(1)
            served_by.daemon.cut_connections()  # the deposit goes on; its reply cannot be sent

    with ledger_served(exercise, io=cut_once) as (ns, served_by, ledger, _):
        retries = Retries()

        def job():
            with client(exercise, ns, on_retry=retries) as ledger_client:
                return ledger_client.deposit(5), ledger_client.deposit(7)

        got = result_of(in_thread(job), "deposit(5), then deposit(7), with the first reply lost")
        assert cuts, "the ledger's io() was never called: deposit did not reach Ledger.deposit"
        assert retries.calls, "the first reply was lost, but on_retry was never called: the error was not retried"
        assert plain(ledger.balance()) == 12, (
            f"deposit(5) (its reply lost, then retried) and deposit(7) left the ledger at {ledger.balance()}, "
            "expected 12: the retry made the deposit a second time"
        )
        assert plain(list(got)) == [5, 12], f"the two deposits returned {list(got)}, expected [5, 12]"


@pytest.mark.task("lost_reply")
def test_every_deposit_is_a_new_request(exercise):
    kept: list = []  # the clients stay referenced: only close() may close their connections
    with ledger_served(exercise) as (ns, server, ledger, _stack):

        def job():
            with client(exercise, ns) as first, client(exercise, ns) as second:
                kept.extend([first, second])
                return [first.deposit(5), first.deposit(5), second.deposit(5)]

        got = result_of(in_thread(job), "three deposits of 5 from two clients")
        closed = wait_quietly(lambda: not server.daemon.connections, 3.0)
        assert closed, "two clients were closed (their with blocks ended), but their connections are still open"
        assert plain(got) == [5, 10, 15] and plain(ledger.balance()) == 15, (
            f"three deposits of 5 (two from one client, one from another) returned {got} and left the "
            f"ledger at {ledger.balance()}, expected [5, 10, 15] and 15: each deposit() needs an id of its own"
        )


# ---- task: a server restart --------------------------------------------------------


@pytest.mark.task("survives_restart")
def test_a_ledger_restarted_on_another_port_is_found_by_its_name(exercise):
    with ledger_served(exercise) as (ns, server, ledger, stack):
        step = threading.Event()
        go_on = threading.Event()

        def job():
            with client(exercise, ns) as ledger_client:
                first = ledger_client.deposit(5)
                step.set()
                go_on.wait(JOIN_SECONDS)
                return first, ledger_client.deposit(3), ledger_client.balance()

        box: dict = {}
        thread = threading.Thread(target=lambda: box.update(in_thread(job)), name="waiting-client")
        thread.start()
        try:
            assert step.wait(JOIN_SECONDS), "the first deposit did not return"
            server.crash()
            restart(ns, ledger, stack)
        finally:
            go_on.set()
            thread.join(JOIN_SECONDS + 5)
        got = result_of(box, "deposit(5); crash and restart elsewhere; deposit(3); balance()")
        assert plain(list(got)) == [5, 8, 8] and plain(ledger.balance()) == 8, (
            f"deposit(5), a crash and restart on another port, deposit(3), balance() returned {list(got)} "
            f"with the ledger at {ledger.balance()}; expected [5, 8, 8] and 8"
        )


@pytest.mark.task("survives_restart")
@pytest.mark.parametrize("call", ["deposit", "balance"])
def test_a_call_waits_for_a_ledger_that_is_down_until_it_is_back(exercise, call):
    with ledger_served(exercise) as (ns, server, ledger, stack):
        ledger.deposit("before", 4)
        server.crash()  # its name still points at the dead port: connections are refused
        retries = Retries(action=lambda: restart(ns, ledger, stack))

        def job():
            with client(exercise, ns, on_retry=retries) as ledger_client:
                return ledger_client.deposit(3) if call == "deposit" else ledger_client.balance()

        got = result_of(in_thread(job), f"{call}() while the ledger was down")
        expected = 7 if call == "deposit" else 4
        assert retries.calls, f"{call}() while the ledger was down never called on_retry"
        assert plain(got) == expected and plain(ledger.balance()) == expected, (
            f"{call}() while the ledger was down (restarted at the first retry) returned {got} with the "
            f"ledger at {ledger.balance()}; expected {expected}"
        )


# ---- task: giving up -------------------------------------------------------------------


@pytest.mark.task("gives_up")
def test_a_ledger_that_stays_down_costs_the_deadline_and_then_an_error(exercise):
    with ledger_served(exercise) as (ns, server, ledger, _):
        server.crash()
        retries = Retries()

        def job():
            started = time.monotonic()
            with client(exercise, ns, deadline=1.5, on_retry=retries) as ledger_client:
                try:
                    ledger_client.deposit(1)
                except Exception as error:  # noqa: BLE001 - judged below
                    return type(error), time.monotonic() - started
            return None, time.monotonic() - started

        kind, took = result_of(in_thread(job), "deposit(1) to a ledger that stays down")
    assert kind is not None and issubclass(kind, Pyro5.errors.CommunicationError), (
        f"deposit(1) to a ledger that stays down (deadline=1.5) ended with {kind}, expected a CommunicationError"
    )
    assert took >= 1.5, f"deposit(1) gave up after {took:.2f} s, before its deadline of 1.5 s"
    numbers = [attempt for attempt, _, _ in retries.calls]
    assert len(numbers) >= 3 and numbers == list(range(1, len(numbers) + 1)), (
        f"in 1.5 s, pausing retry_interval=0.02 s (the default) between attempts, on_retry was called with "
        f"the attempt numbers {numbers}, expected 1, 2, 3, ... (dozens of them)"
    )
    assert len(numbers) <= 1.5 / 0.02 + 1, (
        f"in 1.5 s with a pause of 0.02 s between attempts there is room for at most 76 retries; "
        f"on_retry was called {len(numbers)} times: pause retry_interval seconds before each retry"
    )
    assert all(ok for _, _, ok in retries.calls), f"on_retry got {retries.calls}, expected CommunicationErrors"


@pytest.mark.task("gives_up")
def test_an_error_from_the_ledger_is_raised_at_once(exercise):
    with ledger_served(exercise) as (ns, _, ledger, _stack):
        retries = Retries()

        def job():
            with client(exercise, ns, deadline=1.0, on_retry=retries) as ledger_client:
                with pytest.raises(ValueError):
                    ledger_client.deposit(0)
                return ledger_client.balance()

        got = result_of(in_thread(job), "deposit(0), then balance()")
        assert not retries.calls, f"deposit(0) raised ValueError in the ledger and was retried: on_retry got {retries.calls}"
        assert plain(got) == 0, f"balance() after a refused deposit(0) returned {got}, expected 0"
