"""Graded tests for exercises/ch05_pyro/kv_store.py.

Every remote test starts its own name server process and its own daemon on
127.0.0.1 and free ports (course.testing.pyro), and stops both, also when the
test fails. The store runs in a daemon thread of the test process, so the
tests can hand it an `io` callable that yields to other threads and watches how
many increments are between their read and their write at once: more than one
means the store was not locked, whether or not an update happened to be lost.
One-thread behaviour is checked against a plain dict with hypothesis, under a
fixed profile, so every grading run tries the same cases.
"""

from __future__ import annotations

import contextlib
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import Pyro5.api
from course.testing import YieldingIO as Disk
from course.testing import plain, provoke_races
from course.testing.pyro import Server, name_server

API = {"get", "put", "delete", "increment", "keys"}
NAME = "course.test.kv"
MODEL = settings(derandomize=True, max_examples=60, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


@contextlib.contextmanager
def served(exercise, io=None):
    """A name server, a daemon, and the store registered by the code under test."""
    with name_server() as ns, Server() as server:
        with ns.proxy() as ns_proxy:
            uri = exercise.register(server.daemon, ns_proxy, NAME, io)
        yield ns, uri


def client(ns):
    return Pyro5.api.Proxy(f"PYRONAME:{NAME}@{ns.host}:{ns.port}")


def outcome(call):
    try:
        return ("ok", call())
    except Exception as error:  # noqa: BLE001 - the model says which, if any, is expected
        return ("raised", type(error).__name__)


# ---- task: one thread, no network ------------------------------------------------

KEYS = st.sampled_from(["a", "b", "c"])
VALUES = st.one_of(st.integers(-5, 5), st.text(max_size=2), st.booleans())
OPERATIONS = st.lists(st.one_of(
    st.tuples(st.just("put"), st.one_of(KEYS, st.just(7)), VALUES),
    st.tuples(st.just("get"), KEYS, st.none() | st.just("dflt")),
    st.tuples(st.just("delete"), KEYS),
    st.tuples(st.just("increment"), st.one_of(KEYS, st.just(7)), st.integers(-3, 3)),
    st.tuples(st.just("increment1"), KEYS),
    st.tuples(st.just("keys"),),
), max_size=15)


def model_step(data: dict, operation: tuple):
    """What a correct store returns (or raises) for `operation`, applied to `data`."""
    name, *args = operation
    if name == "put":
        key, value = args
        if not isinstance(key, str):
            return ("raised", "TypeError")
        data[key] = value
        return ("ok", None)
    if name == "get":
        return ("ok", data.get(args[0], args[1]))
    if name == "delete":
        present = args[0] in data
        data.pop(args[0], None)
        return ("ok", present)
    if name == "keys":
        return ("ok", sorted(data))
    key, by = (args[0], 1) if name == "increment1" else args
    if not isinstance(key, str) or type(data.get(key, 0)) is not int:
        return ("raised", "TypeError")
    data[key] = data.get(key, 0) + by
    return ("ok", data[key])


def call(store, operation: tuple):
    name, *args = operation
    if name == "get":
        return (lambda: store.get(args[0])) if args[1] is None else (lambda: store.get(*args))
    if name == "increment1":
        return lambda: store.increment(args[0])
    return lambda: getattr(store, name)(*args)


@pytest.mark.task("local")
@MODEL
@given(operations=OPERATIONS)
def test_one_thread_matches_a_plain_dict(exercise, operations):
    store, data, history = exercise.KeyValueStore(), {}, "KeyValueStore()"
    for operation in operations:
        expected = model_step(data, operation)
        history += f".{operation[0].rstrip('1')}({', '.join(map(repr, operation[1:]))})"
        got = outcome(call(store, operation))
        assert plain(got) == expected, f"{history}: got {got}, expected {expected}"


@pytest.mark.task("local")
def test_increment_calls_io_once_and_a_refused_one_not_at_all(exercise):
    disk = Disk()
    store = exercise.KeyValueStore(io=disk)
    assert plain(store.increment("n", 5)) == 5, "increment('n', 5) on an empty store should return 5"
    assert disk.probe.entries == 1, f"increment('n', 5) called io() {disk.probe.entries} times, expected once"
    store.put("s", "text")
    with pytest.raises(TypeError):
        store.increment("s")
    assert disk.probe.entries == 1, "increment('s') of a string raised, but called io() first; expected no io() call"
    assert plain(store.get("s")) == "text", "a refused increment changed the value"


# ---- task: served and found by name ---------------------------------------------


@pytest.mark.task("shared_by_name")
def test_register_serves_one_store_under_its_name(exercise):
    with served(exercise) as (ns, uri):
        assert isinstance(uri, str) and uri.startswith("PYRO:"), f"register() returned {uri!r}, expected the URI as a str"
        assert plain(ns.lookup(NAME)) == uri, f"the name server has {NAME} at {ns.lookup(NAME)}, register() returned {uri}"
        with client(ns) as first, client(ns) as second:
            first.put("colour", "blue")
            assert plain(second.get("colour")) == "blue", (
                "one client put('colour', 'blue'); another client's get('colour') returned "
                f"{second.get('colour')!r}: clients do not share one store"
            )
            assert plain(second.increment("n", 2)) == 2 and plain(first.increment("n")) == 3, (
                "two clients incrementing 'n' (by 2, then by 1) did not see 2 then 3"
            )
            assert plain(first.delete("colour")) is True and plain(second.keys()) == ["n"], (
                "after one client deleted 'colour', another client's keys() should be ['n']"
            )


@pytest.mark.task("shared_by_name")
def test_the_store_registered_uses_the_io_given(exercise):
    disk = Disk()
    with served(exercise, io=disk) as (ns, _):
        with client(ns) as store:
            store.increment("n")
            store.increment("n")
    assert disk.probe.entries == 2, f"two remote increments called io() {disk.probe.entries} times, expected twice"


@pytest.mark.task("shared_by_name")
def test_errors_reach_the_client_as_their_own_type(exercise):
    with served(exercise) as (ns, _), client(ns) as store:
        store.put("s", "text")
        with pytest.raises(TypeError):
            store.increment("s")
        with pytest.raises(TypeError):
            store.put(3, "x")
        assert plain(store.keys()) == ["s"], f"after two refused calls keys() is {store.keys()}, expected ['s']"


# ---- task: many clients at once -----------------------------------------------------


@pytest.mark.task("thread_safe")
def test_concurrent_increments_from_many_clients_lose_nothing(exercise):
    disk = Disk()
    clients, increments = 4, 60
    errors: list[BaseException] = []
    with served(exercise, io=disk) as (ns, _):
        start = threading.Barrier(clients)

        def hammer():
            try:
                with client(ns) as store:
                    store._pyroBind()
                    start.wait(timeout=5)
                    for _ in range(increments):
                        store.increment("hits")
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

        with provoke_races():
            threads = [threading.Thread(target=hammer, name=f"client-{i}") for i in range(clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=20)
        assert not any(thread.is_alive() for thread in threads), "the clients did not finish within 20 s"
        assert not errors, f"a client's increment raised {errors[0]!r}"
        with client(ns) as store:
            total = store.get("hits")
    expected = clients * increments
    assert plain(total) == expected, (
        f"{clients} clients x {increments} increment('hits') ended at {total}, expected {expected} "
        "(updates were lost)"
    )
    assert disk.probe.max_inside == 1, (
        f"{disk.probe.max_inside} increments were between reading and writing the value at the same moment, "
        "expected 1: the daemon calls one store from many threads"
    )


SNEAK_SECONDS = 0.3  # how long an increment halfway through gives another thread's call to slip in


@pytest.mark.task("thread_safe")
@pytest.mark.parametrize("sneak", ["put", "delete"])
def test_a_put_or_delete_waits_for_an_increment_halfway_through(exercise, sneak):
    """A put (or delete) by another client while an increment is between its read and its
    write must wait: otherwise the increment's write undoes it."""
    state: dict = {}

    def io():
        if "thread" in state:
            return
        done = threading.Event()
        call = (lambda: store.put("n", 100)) if sneak == "put" else (lambda: store.delete("n"))
        state["thread"] = threading.Thread(target=lambda: (call(), done.set()), name=f"sneaky-{sneak}")
        state["thread"].start()
        state["slipped_in"] = done.wait(SNEAK_SECONDS)

    store = exercise.KeyValueStore(io=io)
    store.put("n", 1)
    try:
        store.increment("n")
    finally:
        if "thread" in state:
            state["thread"].join(5)
    what = "put('n', 100)" if sneak == "put" else "delete('n')"
    expected = 100 if sneak == "put" else None
    assert "thread" in state, "increment('n') never called io()"
    assert not state["slipped_in"], (
        f"another thread's {what} ran to its end while increment('n') was between its read and its write; "
        "expected it to wait for the increment"
    )
    assert plain(store.get("n")) == expected, (
        f"increment('n') from 1 and another thread's {what} during it left 'n' at {store.get('n')!r}, "
        f"expected {expected!r} (the {sneak} after the increment)"
    )


# ---- task: nothing private is exposed ------------------------------------------------


@pytest.mark.task("exposes_only_api")
def test_clients_see_exactly_the_five_methods(exercise):
    with served(exercise) as (ns, _), client(ns) as store:
        store._pyroBind()
        methods, attributes, oneway = set(store._pyroMethods), set(store._pyroAttrs), set(store._pyroOneway)
    assert plain(sorted(methods)) == sorted(API), f"clients can call {sorted(methods)}, expected exactly {sorted(API)}"
    assert not attributes, f"clients can read the attributes {sorted(attributes)}: private state is exposed"
    assert not oneway, f"{sorted(oneway)} are oneway: their results and errors would never reach the client"
