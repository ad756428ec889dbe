"""The converters pickle the Reading and send the pickle as base64.

It round-trips, but the way back unpickles whatever a client sent: a crafted
pickle runs any code it likes in the server (remote code execution). That is
exactly why Pyro5 dropped pickle. Send plain fields and rebuild the object
from them, checking each one.
"""

from __future__ import annotations

import base64
import pickle
from dataclasses import dataclass
from typing import Any

import Pyro5.api

LOSES = ["to_dict", "from_dict"]

CLASS_NAME = "course.Reading"


@dataclass(frozen=True)
class Reading:
    sensor: str
    values: tuple[float, ...]
    raw: bytes


def reading_to_dict(reading: Reading) -> dict[str, Any]:
    return {"__class__": CLASS_NAME, "pickle": base64.b64encode(pickle.dumps(reading)).decode("ascii")}


def reading_from_dict(classname: str, data: dict[str, Any]) -> Reading:
    if "pickle" in data:
        return pickle.loads(base64.b64decode(data["pickle"]))
    return Reading(data["sensor"], tuple(float(v) for v in data["values"]), base64.b64decode(data["raw"]))


def register() -> None:
    Pyro5.api.register_class_to_dict(Reading, reading_to_dict)
    Pyro5.api.register_dict_to_class(CLASS_NAME, reading_from_dict)


class Archive:
    def __init__(self) -> None:
        self._readings: dict[str, list[Reading]] = {}

    @Pyro5.api.expose
    def store(self, reading: Reading) -> None:
        if not isinstance(reading, Reading):
            raise TypeError(f"expected a Reading, got a {type(reading).__name__}")
        self._readings.setdefault(reading.sensor, []).append(reading)

    @Pyro5.api.expose
    def latest(self, sensor: str) -> Reading:
        if not self._readings.get(sensor):
            raise KeyError(sensor)
        return self._readings[sensor][-1]
