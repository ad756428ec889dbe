"""Exercise: sending a class of your own through Pyro.

Pyro's serializer, serpent, sends plain data only (numbers, strings, lists,
tuples, dicts, None): an object of your own class arrives as a dict of its
attributes, and `bytes` arrive as a dict {"data": base64 text, "encoding":
"base64"}. Functions and classes never travel. Pyro5 will not use pickle at
all: unpickling what a client sent runs whatever code the client packed in.

To send a `Reading` and get a `Reading` on the other side, register two
converters, on both sides: one that turns a Reading into a dict of plain
values tagged with a class name, and one that turns such a dict back into a
Reading, trusting nothing in it.

Write the two converters, `register()`, and `Archive`, a small server object
that stores Readings and hands them back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import Pyro5.api

CLASS_NAME = "course.Reading"


@dataclass(frozen=True)
class Reading:
    """One measurement: which sensor, the values it read, and the raw bytes it sent."""

    sensor: str
    values: tuple[float, ...]
    raw: bytes


def reading_to_dict(reading: Reading) -> dict[str, Any]:
    """The Reading as plain data, exactly:

    {"__class__": "course.Reading", "sensor": the sensor, "values": a list of
    the values as floats, "raw": the raw bytes in base64 (standard alphabet,
    with padding) as an ASCII str}.
    """
    raise NotImplementedError("TODO")


def reading_from_dict(classname: str, data: dict[str, Any]) -> Reading:
    """The Reading that `reading_to_dict` made `data` from.

    Trust nothing: raise ValueError unless `classname` and data["__class__"]
    are "course.Reading", `data` has exactly the four keys above, the sensor
    is a str, the values a list (or tuple) of ints or floats (not bools), and
    raw a str of valid base64. The Reading's values are a tuple of floats.
    """
    raise NotImplementedError("TODO")


def register() -> None:
    """Register both converters with Pyro (register_class_to_dict and
    register_dict_to_class), so Readings travel both ways. Calling it twice is harmless."""
    raise NotImplementedError("TODO")


class Archive:
    """Keeps every Reading stored, per sensor. Exposed: exactly store and latest."""

    def __init__(self) -> None:
        raise NotImplementedError("TODO")

    def store(self, reading: Reading) -> None:
        """Keep `reading`. Anything but a Reading (a dict, if the converters
        were not registered) is a TypeError."""
        raise NotImplementedError("TODO")

    def latest(self, sensor: str) -> Reading:
        """The Reading of `sensor` stored last; KeyError if there is none."""
        raise NotImplementedError("TODO")
