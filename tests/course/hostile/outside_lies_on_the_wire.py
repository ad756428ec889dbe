"""Judged outside, this module runs in the process that answers the tests' calls, and takes
that process over: every later request gets a lie, a different one each time (a length of
3 GB, JSON nested 100,000 deep, an exception class where a number belongs, an "exception"
named like pytest's skip, an end of iteration, an unhashable set, a message cut short).
Judged inside, there is no such server: it is a stub."""
import json
import struct
import sys

server = getattr(sys.modules.get("__main__"), "Server", None)
LIES = [
    struct.pack(">I", 3 * 2**30),
    b"[" * 100_000,
    json.dumps({"ok": {"t": "ref", "v": 1, "k": "exception", "n": "Exit", "b": ["SystemExit", "BaseException"]}}).encode(),
    json.dumps({"raised": {"class": {"t": "ref", "v": 7, "k": "exception", "n": "Skipped", "b": ["BaseException"]},
                           "message": "skipped", "args": ["skipped"]}}).encode(),
    json.dumps({"stop": True}).encode(),
    json.dumps({"ok": {"t": "set", "v": [{"t": "list", "v": []}]}}).encode(),
    json.dumps({"ok": -1})[:5].encode(),
]
told = []


def lie(self, connection):
    with connection:
        while connection.recv(1 << 16):
            body = LIES[len(told) % len(LIES)]
            told.append(body)
            header = body if len(body) == 4 else struct.pack(">I", len(body) + (10 if body.endswith(b"-") else 0))
            connection.sendall(header + (b"" if len(body) == 4 else body))


if server is not None:
    server.serve = lie
    def hang_up(self, request):  # the connection that imported this module closes: the next ones lie
        raise OSError("hung up")
    server.answer = hang_up


def add(a, b):
    raise NotImplementedError
