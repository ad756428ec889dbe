"""The capstone's errors as a caller meets them, on every backend.

An exception raised by `fn` must be catchable by its own type (as around the
builtin `map`), and still be an `ItemError` with the failing item's index and
the remote traceback; the serial backend must honour `timeout`.
"""

from __future__ import annotations

import pickle
import threading

import pytest

from course import catalogue, workloads
from course.capstone import BACKENDS, ItemError, cluster
from course.testing import wait_until

BAD = 5


@pytest.fixture(scope="module")
def reference():
    """The reference dmap module, loaded from solutions/ by path (as the bench does)."""
    loaded = catalogue.load()
    return loaded.import_module(loaded.exercise("dmap"), "solutions")


@pytest.fixture
def embedded(monkeypatch):
    """Pyro and Celery start their own private cluster on 127.0.0.1 (nothing shared, nothing remote)."""
    for name in ("COURSE_BROKER_URL", "COURSE_RESULT_BACKEND", "COURSE_CELERY_QUEUE",
                 "COURSE_PYRO_NS_HOST", "COURSE_PYRO_NS_PORT"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("backend", BACKENDS)
def test_except_value_error_catches_a_value_error_from_fn_with_its_index(reference, embedded, backend):
    items = [[x, BAD] for x in range(12)]
    got = []
    with cluster(backend, workers=2) as runner:
        try:
            for result in reference.imap(workloads.fail_on, items, backend=runner, chunksize=2):
                got.append(result)
        except ValueError as error:
            caught = error
        else:
            pytest.fail(f"on {backend}, a ValueError raised by fn was not caught by `except ValueError`")
    assert isinstance(caught, ItemError), f"on {backend} the error is {type(caught).__mro__}, not also an ItemError"
    assert caught.index == BAD, f"on {backend}, .index is {caught.index}, expected {BAD}"
    assert caught.exc_type == "ValueError" and caught.message == f"refusing item {BAD}"
    assert "fail_on" in caught.remote_traceback, f"on {backend} the remote traceback is {caught.remote_traceback!r}"
    assert got == [x * x for x in range(BAD)], f"on {backend} the results before the failing item were {got}"


def test_the_combined_error_pickles_as_the_same_type_with_everything_kept():
    error = ItemError(7, "KeyError", "'k'", "Traceback ...")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error) and isinstance(again, KeyError) and isinstance(again, ItemError)
    assert (again.index, again.exc_type, again.message, again.remote_traceback) == (7, "KeyError", "'k'", "Traceback ...")
    assert str(again) == "item 7 raised KeyError: 'k'"


def test_one_combined_class_per_original_type():
    assert type(ItemError(1, "ValueError", "a")) is type(ItemError(2, "ValueError", "b"))
    assert type(ItemError(1, "ValueError", "a")) is not type(ItemError(1, "TypeError", "a"))


def test_a_type_from_a_module_is_imported_and_joined():
    error = ItemError(0, "json.decoder.JSONDecodeError", "bad json")
    import json

    assert isinstance(error, json.JSONDecodeError) and error.index == 0


@pytest.mark.parametrize("name", ["no_such_module.Error", "json.NoSuchError", "json.loads", "StopIteration", "SystemExit"])
def test_a_name_that_is_not_an_importable_exception_stays_a_plain_item_error(name):
    error = ItemError(3, name, "m")
    assert type(error) is ItemError and error.index == 3


def test_an_exception_type_defined_inside_a_function_stays_a_plain_item_error(reference):
    class Local(Exception):
        pass

    def refuse(x):
        raise Local(f"no {x}")

    with pytest.raises(ItemError) as caught:
        reference.dmap(refuse, [1], backend="threads", workers=1)
    assert type(caught.value) is ItemError and caught.value.index == 0
    assert "Local" in caught.value.exc_type


def test_the_serial_backend_raises_timeout_error_while_the_item_still_runs(reference):
    release = threading.Event()
    entered = threading.Event()

    def blocked(x):
        entered.set()
        release.wait(30)
        return x

    try:
        with pytest.raises(TimeoutError):
            reference.dmap(blocked, [1, 2], backend="serial", timeout=0.5)
        assert entered.is_set() and not release.is_set(), "the timeout must be raised while the item still runs"
    finally:
        release.set()
    # The abandoned item ends on its own once released: no thread is left behind.
    wait_until(lambda: not any(t.name.startswith("dmap-serial") for t in threading.enumerate()), timeout=10)
