"""Graded tests for exercises/ch05_pyro/custom_types.py.

The converters are checked on their own (the exact plain-data form, the round
trip with hypothesis under a fixed profile, every kind of malformed input),
then through a real daemon on 127.0.0.1 (course.testing.pyro) with the
client and the server in this process, so one register() serves both sides.
Every test removes the converters again: no test sees another's registration.
"""

from __future__ import annotations

import base64
import pickle

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import Pyro5.api
from course.testing import plain
from course.testing.pyro import Server, exposed

NAME = "course.Reading"
MODEL = settings(derandomize=True, max_examples=60, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(autouse=True)
def converters_removed(exercise):
    yield
    Pyro5.api.unregister_class_to_dict(exercise.Reading)
    Pyro5.api.unregister_dict_to_class(NAME)


def fields(reading) -> tuple:
    """A Reading as plain data, after checking it is one."""
    return (type(reading).__name__, plain(reading.sensor), plain(reading.values), plain(reading.raw))


def good(**changes) -> dict:
    data = {"__class__": NAME, "sensor": "t1", "values": [1.5, 2.0], "raw": "AP8="}
    data.update(changes)
    return data


# ---- task: to plain data --------------------------------------------------------------


@pytest.mark.task("to_dict")
def test_a_reading_becomes_exactly_the_documented_plain_dict(exercise):
    got = exercise.reading_to_dict(exercise.Reading("t1", (1, 2.5), b"\x00\xff"))
    expected = {"__class__": NAME, "sensor": "t1", "values": [1.0, 2.5], "raw": "AP8="}
    assert plain(got) == expected, f"reading_to_dict(Reading('t1', (1, 2.5), b'\\x00\\xff')) returned {got}, expected {expected}"
    assert [type(value) for value in got["values"]] == [float, float], f"values {got['values']} should all be floats"


@pytest.mark.task("to_dict")
def test_empty_values_and_raw_bytes_convert_too(exercise):
    got = exercise.reading_to_dict(exercise.Reading("", (), b""))
    expected = {"__class__": NAME, "sensor": "", "values": [], "raw": ""}
    assert plain(got) == expected, f"reading_to_dict(Reading('', (), b'')) returned {got}, expected {expected}"


# ---- task: back from plain data, trusting nothing ------------------------------------------------


READINGS = st.builds(
    lambda sensor, values, raw: (sensor, tuple(values), raw),
    st.text(max_size=8),
    st.lists(st.floats(allow_nan=False, allow_infinity=False) | st.integers(-10**6, 10**6), max_size=5),
    st.binary(max_size=20),
)


@pytest.mark.task("from_dict")
@MODEL
@given(parts=READINGS)
def test_a_reading_survives_the_round_trip(exercise, parts):
    sensor, values, raw = parts
    reading = exercise.Reading(sensor, values, raw)
    back = exercise.reading_from_dict(NAME, exercise.reading_to_dict(reading))
    expected = ("Reading", sensor, tuple(float(v) for v in values), raw)
    assert fields(back) == expected, f"Reading{parts} came back as {back!r}"
    assert all(type(value) is float for value in back.values), f"values came back as {back.values!r}, expected floats"


@pytest.mark.task("from_dict")
def test_a_tuple_of_values_is_accepted(exercise):
    back = exercise.reading_from_dict(NAME, good(values=(3, 4.5)))
    assert fields(back) == ("Reading", "t1", (3.0, 4.5), b"\x00\xff"), f"values (3, 4.5) came back as {back!r}"


MALFORMED = {
    "another class name in the tag": good(__class__="os.system"),
    "a missing field": {key: value for key, value in good().items() if key != "raw"},
    "an extra field": good(pickle="gASVAAAAAAAAAAA="),
    "a sensor that is not a str": good(sensor=7),
    "values that are a str": good(values="1,2"),
    "a bool among the values": good(values=[1.0, True]),
    "a str among the values": good(values=[1.0, "2"]),
    "raw that is a base64 dict": good(raw={"data": "AP8=", "encoding": "base64"}),
    "raw with characters outside base64": good(raw="AP*="),
    "raw with its padding missing": good(raw="AP8"),
}


@pytest.mark.task("from_dict")
@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_data_is_refused(exercise, case):
    with pytest.raises(ValueError):
        exercise.reading_from_dict(NAME, MALFORMED[case])


@pytest.mark.task("from_dict")
def test_another_registered_name_is_refused(exercise):
    with pytest.raises(ValueError):
        exercise.reading_from_dict("other.Name", good())


FIRED: list[str] = []


def spring(tag: str) -> None:
    FIRED.append(tag)


class Trap:
    """Unpickling this calls `spring`: proof that the code under test unpickled what it was sent."""

    def __reduce__(self):
        return (spring, ("unpickled",))


@pytest.mark.task("from_dict")
def test_nothing_that_was_sent_is_ever_unpickled(exercise):
    payload = base64.b64encode(pickle.dumps(Trap())).decode("ascii")
    FIRED.clear()
    pickle.loads(base64.b64decode(payload))
    assert FIRED == ["unpickled"], "the test's own trap did not fire when unpickled: the test cannot see an unpickling"
    FIRED.clear()
    for data in (good(raw=payload), good(pickle=payload), {"__class__": NAME, "pickle": payload}):
        try:
            exercise.reading_from_dict(NAME, data)
        except Exception:  # noqa: BLE001 - refusing is fine; unpickling is not
            pass
    assert not FIRED, "reading_from_dict unpickled data a client sent: that runs whatever code the client packed in"


# ---- task: through a daemon ----------------------------------------------------------------------


@pytest.mark.task("over_pyro")
def test_readings_travel_to_the_archive_and_back(exercise):
    exercise.register()
    exercise.register()  # twice is harmless
    archive = exercise.Archive()
    sent = exercise.Reading("t1", (1.0, 2.5), b"\x00\x01binary\xff")
    with Server() as server:
        uri = server.register(archive)
        with Pyro5.api.Proxy(uri) as proxy:
            proxy.store(exercise.Reading("t1", (0.0,), b"old"))
            proxy.store(sent)
            proxy.store(exercise.Reading("t2", (), b""))
            back = proxy.latest("t1")
    stored = archive.latest("t1")
    assert fields(stored) == fields(sent), f"the archive received {stored!r}, expected {sent!r}"
    assert fields(back) == fields(sent), f"latest('t1') came back to the client as {back!r}, expected {sent!r}"


@pytest.mark.task("over_pyro")
def test_the_archive_refuses_what_is_not_a_reading_and_unknown_sensors(exercise):
    exercise.register()
    archive = exercise.Archive()
    with pytest.raises(TypeError):
        archive.store({"sensor": "t1", "values": [], "raw": b""})
    with Server() as server:
        uri = server.register(archive)
        with Pyro5.api.Proxy(uri) as proxy:
            with pytest.raises(TypeError):
                proxy.store({"sensor": "t1"})
            with pytest.raises(KeyError):
                proxy.latest("nobody")
    methods, attributes, _ = exposed(archive)
    assert plain(methods) == ["latest", "store"] and not attributes, f"the archive exposes {methods} and {attributes}"
