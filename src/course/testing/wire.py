"""What crosses between the tests and an exercise judged outside the student's interpreter.

Messages are JSON, each behind a 4-byte length. Values are plain data only
(None, bool, int, float, str, bytes and lists, tuples, sets, frozensets and
dicts of them), tagged so a tuple comes back a tuple; anything else the code
under test hands back stays in its process and crosses as a numbered
reference. Nothing here unpickles or evaluates: a hostile answer is at worst
a wrong value or a malformed message, and a malformed message is an error.
"""

from __future__ import annotations

import json
import socket
import struct

MAX_MESSAGE = 4 * 1024 * 1024  # bytes; an answer larger than this fails the test that asked
MAX_DEPTH = 64
SCALARS = (type(None), bool, int, float, str)
CONTAINERS = {list: "list", tuple: "tuple", set: "set", frozenset: "frozenset"}
BUILDERS = {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}
_LENGTH = struct.Struct(">I")


class WireError(Exception):
    """A message that is not what the protocol allows (too large, malformed, cut short)."""


def encode(value, refer, depth: int = 0):
    """`value` as JSON-ready data; `refer(obj)` numbers what is not plain data."""
    kind = type(value)
    if kind in SCALARS:
        return value
    if depth > MAX_DEPTH:
        raise WireError(f"data nested more than {MAX_DEPTH} deep")
    if kind in CONTAINERS:
        return {"t": CONTAINERS[kind], "v": [encode(item, refer, depth + 1) for item in value]}
    if kind is dict:
        return {"t": "dict", "v": [[encode(k, refer, depth + 1), encode(v, refer, depth + 1)] for k, v in value.items()]}
    if kind is bytes:
        return {"t": "bytes", "v": value.hex()}
    return refer(value)


def decode(data, resolve, depth: int = 0):
    """The value `encode` made; `resolve(tagged)` turns a reference (or another tag) into an object."""
    kind = type(data)
    if kind in SCALARS:
        return data
    if depth > MAX_DEPTH:
        raise WireError(f"data nested more than {MAX_DEPTH} deep")
    if kind is not dict or type(data.get("t")) is not str:
        raise WireError(f"not a value: {str(data)[:80]}")
    tag, body = data["t"], data.get("v")
    if tag in BUILDERS:
        if type(body) is not list:
            raise WireError(f"a {tag} without its items")
        try:
            return BUILDERS[tag](decode(item, resolve, depth + 1) for item in body)
        except TypeError as error:  # an unhashable item in a set
            raise WireError(f"a {tag} that cannot be built: {error}") from None
    if tag == "dict":
        if type(body) is not list or not all(type(pair) is list and len(pair) == 2 for pair in body):
            raise WireError("a dict without its pairs")
        try:
            return {decode(k, resolve, depth + 1): decode(v, resolve, depth + 1) for k, v in body}
        except TypeError as error:
            raise WireError(f"a dict that cannot be built: {error}") from None
    if tag == "bytes":
        try:
            return bytes.fromhex(body)
        except (TypeError, ValueError):
            raise WireError("bytes that are not hex") from None
    return resolve(data)


def send(connection: socket.socket, message: dict) -> None:
    data = json.dumps(message, allow_nan=True, separators=(",", ":")).encode()
    if len(data) > MAX_MESSAGE:
        raise WireError(f"a message of {len(data):,} bytes (at most {MAX_MESSAGE:,})")
    connection.sendall(_LENGTH.pack(len(data)) + data)


def receive(connection: socket.socket) -> dict | None:
    """The next message, or None when the other side closed the connection between messages."""
    header = _read(connection, _LENGTH.size, allow_end=True)
    if header is None:
        return None
    (length,) = _LENGTH.unpack(header)
    if length > MAX_MESSAGE:
        raise WireError(f"a message of {length:,} bytes (at most {MAX_MESSAGE:,})")
    try:
        message = json.loads(_read(connection, length))
    except (ValueError, RecursionError):
        raise WireError("a message that is not JSON") from None
    if type(message) is not dict:
        raise WireError("a message that is not an object")
    return message


def _read(connection: socket.socket, size: int, allow_end: bool = False) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = connection.recv(min(left, 1 << 20))
        if not chunk:
            if allow_end and left == size:
                return None
            raise EOFError("the connection closed in the middle of a message")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
