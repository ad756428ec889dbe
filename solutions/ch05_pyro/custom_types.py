"""Sending a class of our own through Pyro with serpent (reference solution).

Serpent sends plain data only: a Reading would arrive as a dict of its fields,
bytes as a base64 dict. Two converters, registered on both sides, turn a
Reading into a tagged dict of plain values and back. The way back trusts
nothing: it accepts exactly the documented fields with the right types, and
never unpickles or evaluates anything it was sent (pickle would run whatever
code a malicious client packed into it).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import Pyro5.api

CLASS_NAME = "course.Reading"
FIELDS = {"__class__", "sensor", "values", "raw"}


@dataclass(frozen=True)
class Reading:
    """One measurement: which sensor, the values it read, and the raw bytes it sent."""

    sensor: str
    values: tuple[float, ...]
    raw: bytes


def reading_to_dict(reading: Reading) -> dict[str, Any]:
    return {
        "__class__": CLASS_NAME,
        "sensor": reading.sensor,
        "values": [float(value) for value in reading.values],
        "raw": base64.b64encode(reading.raw).decode("ascii"),
    }


def reading_from_dict(classname: str, data: dict[str, Any]) -> Reading:
    if classname != CLASS_NAME or set(data) != FIELDS or data["__class__"] != CLASS_NAME:
        raise ValueError(f"not a {CLASS_NAME}: {sorted(data)}")
    sensor, values, raw = data["sensor"], data["values"], data["raw"]
    if not isinstance(sensor, str) or not isinstance(raw, str) or not isinstance(values, (list, tuple)):
        raise ValueError("a Reading needs a str sensor, a list of values and base64 text")
    if not all(type(value) in (int, float) for value in values):
        raise ValueError(f"values must be numbers, got {values!r}")
    decoded = base64.b64decode(raw, validate=True)  # not base64: binascii.Error, a ValueError
    return Reading(sensor, tuple(float(value) for value in values), decoded)


def register() -> None:
    Pyro5.api.register_class_to_dict(Reading, reading_to_dict)
    Pyro5.api.register_dict_to_class(CLASS_NAME, reading_from_dict)


class Archive:
    """Keeps every Reading stored, per sensor."""

    def __init__(self) -> None:
        self._readings: dict[str, list[Reading]] = {}

    @Pyro5.api.expose
    def store(self, reading: Reading) -> None:
        if not isinstance(reading, Reading):
            raise TypeError(f"expected a Reading, got a {type(reading).__name__}")
        # setdefault and append are each one atomic step: no lock is needed for this.
        self._readings.setdefault(reading.sensor, []).append(reading)

    @Pyro5.api.expose
    def latest(self, sensor: str) -> Reading:
        readings = self._readings.get(sensor)
        if not readings:
            raise KeyError(sensor)
        return readings[-1]
