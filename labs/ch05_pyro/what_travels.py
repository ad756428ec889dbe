"""What survives a trip through Pyro: send values to an echo server and look at what comes back.

Run: python -m labs.ch05_pyro.what_travels

Pyro5 serialises with serpent: plain data only. An object of your own class
travels as a dict of its attributes tagged with its class name, which Pyro
will not turn back into an object ("unsupported serialized class"); bytes
arrive as a base64 dict; a function cannot be sent at all.
Pyro5 has no pickle serializer: unpickling what a stranger sent runs whatever
code the stranger packed in. To get your own class back as itself, register
a converter to a dict and one back, on both sides (bottom of the table).
"""

from __future__ import annotations

import Pyro5.api
import Pyro5.errors

from course.testing.pyro import Server


@Pyro5.api.expose
class Echo:
    def echo(self, value):
        return value


class Point:
    """A class of our own, with no converters registered (yet)."""

    def __init__(self, x: float, y: float):
        self.x, self.y = x, y

    def __repr__(self) -> str:
        return f"Point({self.x}, {self.y})"


def point_to_dict(point: Point) -> dict:
    return {"__class__": "lab.Point", "x": point.x, "y": point.y}


def dict_to_point(classname: str, data: dict) -> Point:
    return Point(float(data["x"]), float(data["y"]))


def round_trip(values: dict) -> list[tuple[str, str, str]]:
    """Echo each value through a real daemon: (what, what was sent, what came back)."""
    rows = []
    with Server() as server:
        uri = server.register(Echo())
        with Pyro5.api.Proxy(uri) as proxy:
            for what, value in values.items():
                try:
                    back = repr(proxy.echo(value))
                except (Pyro5.errors.PyroError, TypeError) as error:
                    back = f"{type(error).__name__}: {error}"
                rows.append((what, repr(value)[:22], back[:46]))
    return rows


SAMPLES = {
    "int, str, list": [1, "two", [3.0]],
    "tuple": (1, 2),
    "dict": {"a": 1},
    "bytes": b"\x00\xff",
    "set": {1, 2},
    "a Point": Point(1, 2),
    "a function": len,
    "a lambda": lambda x: x,
}


def main() -> None:
    for what, sent, back in round_trip(SAMPLES):
        print(f"{what:<12} sent {sent:<22} came back {back}")
    Pyro5.api.register_class_to_dict(Point, point_to_dict)
    Pyro5.api.register_dict_to_class("lab.Point", dict_to_point)
    for what, sent, back in round_trip({"a Point, registered": Point(1, 2)}):
        print(f"{what}: sent {sent}, came back {back}")
    print("\nNotice: only plain data crosses; a class needs converters on both sides,"
          "\nbytes come back as a base64 dict, and code never travels. Run as a script,"
          "\nPoint lives in __main__, a name Pyro refuses to even look at; imported"
          "\n(as the book does), it travels as a tagged dict that nobody turns back"
          "\ninto a Point: SerializeError.")


if __name__ == "__main__":
    main()
