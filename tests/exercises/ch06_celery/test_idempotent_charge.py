"""Graded tests for exercises/ch06_celery/idempotent_charge.py.

A real worker (course.testing.celery.running_worker, two threads) consumes from
the configured broker: the embedded one when grading, Redis and RabbitMQ in CI.
A second delivery is made the way a broker or a client makes it: the same
message sent again under the same task id (redelivery after a lost
acknowledgement) or under a new one (a client that timed out and re-sent).
Which runs happened comes from Celery's own signals (TaskRuns), never from a
sleep. Two deliveries at once are forced to overlap: the fake gateway holds
the first inside the charge, and the store's `get` of a missing key waits
briefly for a second reader, so a check-then-set opens its race every time.
"""

from __future__ import annotations

import threading

import pytest

from course.testing import plain
from course.testing.celery import SharedStore, TaskRuns, finished, isolated_app, running_worker

RESULT_TIMEOUT = 20.0
PAIR_WAIT = 0.5  # how long a get() of a missing key waits for a second one


class CardDeclined(Exception):
    pass


class Gateway:
    """Counts charges; while `gate` is clear a charge waits inside; an account in `decline` is refused once."""

    def __init__(self):
        self.charges: list[tuple[str, int]] = []
        self.inside = threading.Event()
        self.gate = threading.Event()
        self.gate.set()
        self.decline: set[str] = set()
        self._lock = threading.Lock()

    def charge(self, account, amount):
        self.inside.set()
        if not self.gate.wait(RESULT_TIMEOUT):
            raise AssertionError("the test never released the gateway")
        if account in self.decline:  # declined once; the card works on the next try
            self.decline.discard(account)
            raise CardDeclined(f"card of {account} declined")
        with self._lock:
            self.charges.append((account, amount))
            return f"receipt-{len(self.charges)}-{account}-{amount}"


class Store(SharedStore):
    """The shared store; a get() that finds nothing waits briefly for a second reader."""

    def __init__(self):
        super().__init__()
        self._readers = threading.Barrier(2)

    def get(self, key):
        value = super().get(key)
        if value is None:  # a second reader arriving now reads "absent" too, as it would on Redis
            try:
                self._readers.wait(PAIR_WAIT)
            except threading.BrokenBarrierError:
                self._readers.reset()
        return value


@pytest.fixture
def shop(exercise):
    """(charge task, gateway, store, runs) with a worker running."""
    gateway, store = Gateway(), Store()
    with isolated_app() as app, TaskRuns() as runs:
        # 0.1 s, not less: a retry that finishes before its sender has stored RETRY
        # would have that late RETRY hide its result (see TaskRuns.outcome).
        charge = exercise.register(app, gateway, store, wait=0.1)
        with running_worker(app):
            try:
                yield charge, gateway, store, runs
            finally:
                gateway.gate.set()  # a held charge must not keep the worker from stopping


def result_of(async_result):
    return plain(finished(async_result, RESULT_TIMEOUT, f"the charge task {async_result.id}"))


@pytest.mark.task("charges_once")
def test_one_charge_charges_the_account_and_returns_the_receipt(shop):
    charge, gateway, _, _ = shop
    receipt = result_of(charge.delay("p-1", "alice", 30))
    assert gateway.charges == [("alice", 30)], f"charge('p-1', 'alice', 30) charged {gateway.charges}"
    assert receipt == "receipt-1-alice-30", f"charge('p-1', 'alice', 30) returned {receipt!r}, not the gateway's receipt"


@pytest.mark.task("charges_once")
def test_a_message_delivered_again_returns_the_first_receipt_and_charges_nothing(shop):
    charge, gateway, _, runs = shop
    first = charge.apply_async(("p-2", "bob", 12), task_id="delivery-p-2")
    assert result_of(first) == "receipt-1-bob-12"
    charge.apply_async(("p-2", "bob", 12), task_id="delivery-p-2")  # the broker delivers it again
    runs.wait(lambda r: r.of("delivery-p-2").count("SUCCESS") == 2, RESULT_TIMEOUT,
              f"the second delivery of one message did not finish: runs {runs.records}")
    assert gateway.charges == [("bob", 12)], f"one payment delivered twice charged {gateway.charges}"
    assert result_of(charge.AsyncResult("delivery-p-2")) == "receipt-1-bob-12"


@pytest.mark.task("charges_once")
def test_a_charge_sent_again_under_a_new_task_id_is_charged_once(shop):
    charge, gateway, _, _ = shop
    receipts = [result_of(charge.delay("p-3", "carol", 7)) for _ in range(3)]
    assert gateway.charges == [("carol", 7)], f"payment p-3 sent three times charged {gateway.charges}"
    assert receipts == ["receipt-1-carol-7"] * 3, f"the three sends returned {receipts}, expected the first receipt each time"


@pytest.mark.task("charges_once")
def test_different_payments_are_each_charged(shop):
    charge, gateway, _, _ = shop
    payments = [("q-1", "dan", 5), ("q-2", "dan", 5), ("q-3", "erin", 5), ("q-1", "dan", 5)]
    receipts = [result_of(charge.delay(*payment)) for payment in payments]
    assert sorted(gateway.charges) == [("dan", 5), ("dan", 5), ("erin", 5)], (
        f"payments q-1, q-2, q-3 (q-1 twice) charged {gateway.charges}: one charge per payment id"
    )
    assert receipts[0] == receipts[3] and len(set(receipts)) == 3, f"receipts {receipts}"


@pytest.mark.task("concurrent_duplicates")
def test_two_deliveries_at_once_charge_once_and_both_return_the_receipt(shop):
    charge, gateway, store, runs = shop
    gateway.gate.clear()
    first = charge.apply_async(("p-4", "fay", 9), task_id="first-p-4")
    assert gateway.inside.wait(RESULT_TIMEOUT), "the first delivery never reached the gateway"
    second = charge.apply_async(("p-4", "fay", 9), task_id="second-p-4")
    runs.wait(lambda r: "RETRY" in r.of("second-p-4") or r.of("second-p-4"), RESULT_TIMEOUT,
              "the second delivery never ran while the first was charging")
    gateway.gate.set()
    receipts = [result_of(first), result_of(second)]
    assert gateway.charges == [("fay", 9)], f"two deliveries at once charged {gateway.charges}"
    assert receipts == ["receipt-1-fay-9"] * 2, (
        f"the deliveries returned {receipts}: the second must wait for the first and return its receipt"
    )


@pytest.mark.task("concurrent_duplicates")
def test_two_deliveries_arriving_together_charge_once(shop):
    charge, gateway, _, _ = shop
    sent = [charge.apply_async(("p-5", "gus", 4), task_id=f"together-{n}") for n in range(2)]
    receipts = [result_of(result) for result in sent]
    assert gateway.charges == [("gus", 4)], f"two deliveries sent together charged {gateway.charges}"
    assert receipts == ["receipt-1-gus-4"] * 2, f"they returned {receipts}"


@pytest.mark.task("failure_releases")
def test_a_declined_charge_fails_with_the_gateways_error(shop):
    charge, gateway, _, _ = shop
    gateway.decline.add("hal")
    result = charge.delay("p-6", "hal", 3)
    with pytest.raises(CardDeclined):
        finished(result, RESULT_TIMEOUT, "a declined charge")
    assert result.state == "FAILURE", f"a declined charge ended {result.state}, expected FAILURE"
    assert gateway.charges == [], f"a declined card was charged: {gateway.charges}"


@pytest.mark.task("failure_releases")
def test_after_a_failure_the_same_payment_can_be_charged(shop):
    charge, gateway, store, _ = shop
    gateway.decline.add("ida")
    with pytest.raises(CardDeclined):
        finished(charge.delay("p-7", "ida", 8), RESULT_TIMEOUT, "a declined charge")
    receipt = result_of(charge.delay("p-7", "ida", 8))
    assert gateway.charges == [("ida", 8)], f"after a declined try, payment p-7 charged {gateway.charges}"
    assert receipt == "receipt-1-ida-8", f"the second try returned {receipt!r}"
    again = result_of(charge.delay("p-7", "ida", 8))
    assert again == receipt and gateway.charges == [("ida", 8)], "a third send charged again"


@pytest.mark.task("failure_releases")
def test_a_delivery_waiting_for_a_failed_one_charges_itself(shop):
    charge, gateway, _, runs = shop
    gateway.gate.clear()
    gateway.decline.add("jo")
    first = charge.apply_async(("p-8", "jo", 2), task_id="failing-p-8")
    assert gateway.inside.wait(RESULT_TIMEOUT), "the first delivery never reached the gateway"
    second = charge.apply_async(("p-8", "jo", 2), task_id="waiting-p-8")
    runs.wait(lambda r: r.of("waiting-p-8"), RESULT_TIMEOUT, "the second delivery never ran")
    gateway.gate.set()
    with pytest.raises(CardDeclined):
        finished(first, RESULT_TIMEOUT, "a declined charge")
    assert result_of(second) == "receipt-1-jo-2", "the waiting delivery did not charge after the first failed"
    assert gateway.charges == [("jo", 2)]


@pytest.mark.task("charges_once")
def test_the_record_lives_in_the_shared_store_so_another_worker_sees_it(exercise):
    """A worker on another machine shares the store and the gateway, nothing else."""
    gateway, store = Gateway(), Store()
    with isolated_app() as app:
        charge = exercise.register(app, gateway, store, wait=0.1)
        with running_worker(app):
            first = result_of(charge.delay("p-9", "kim", 6))
    assert store.data, "after a charge the shared store is empty: where is the record other workers must see?"
    with isolated_app() as other_app:
        other_charge = exercise.register(other_app, gateway, store, wait=0.1)
        with running_worker(other_app):
            again = result_of(other_charge.delay("p-9", "kim", 6))
    assert gateway.charges == [("kim", 6)], f"a second worker sharing the store charged again: {gateway.charges}"
    assert again == first, f"the second worker returned {again!r}, the first {first!r}"
