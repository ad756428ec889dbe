"""Who ran which of the submission's functions, and who waited: a timeline of one graded test.

Runs inside the confined child, beside the student's code, for `grade-all`'s
feedback. A sampler thread looks at every thread's stack every `INTERVAL`
seconds (no tracing or profiling hook, so the code under test runs at its own
speed and its timeouts mean what they mean without it) and notes, per thread,
the innermost function of the submission it is in, or that it waits: blocked
in a lock, a condition, an event, a join or a queue, or on the `with` or the
call of one. Consecutive samples alike make one span; a thread missing from a sample
(out of the submission's code) closes its span.

What it records is feedback only: the grader draws it and never reads a
score from it (`engine._score` ignores timeline records), and the channel
drops a record of the wrong shape or size. A submission that fools the
sampler (a thread named like another, a function that looks busy) only
changes the picture it gets back.

The sampler thread is started with `_thread` so it never appears in
`threading.enumerate()`: tests that count threads and the leak check see
only what the code under test started.
"""

from __future__ import annotations

import _thread
import dis
import os
import sys
import threading
import time

INTERVAL = 0.002
MAX_SPANS = 200
MAX_LANES = 16
NAME_LIMIT = 60
BLOCKING = frozenset({"acquire", "wait", "wait_for", "join", "get", "put", "result", "sleep", "_wait_for_tstate_lock",
                      "select", "recv", "accept", "poll", "as_completed", "gather"})
LOADS = frozenset({"LOAD_METHOD", "LOAD_ATTR", "LOAD_GLOBAL", "LOAD_NAME", "LOAD_DEREF", "LOAD_FAST"})

Span = tuple[str, str, float, float]  # lane (thread), what (a function, or "waits: acquire"), start, end


class Recorder:
    """Samples the stacks of every thread while a test runs; `stop()` gives the spans."""

    def __init__(self, tree: str, interval: float = INTERVAL):
        # The tree is imported through a `submission` link (course.testing.plugin.expose_tree).
        self._prefixes = (os.path.join(tree, ""), os.path.join(os.path.realpath(tree), ""))
        self._interval = interval
        self._stop = False
        self._done = _thread.allocate_lock()
        self._calls: dict[object, dict[int, str]] = {}
        self._open: dict[str, list] = {}  # lane -> [what, start, last seen]
        self._samples = 0
        self._spans: list[Span] = []
        self._origin = time.perf_counter()

    def start(self) -> None:
        self._done.acquire()
        _thread.start_new_thread(self._run, ())

    def stop(self) -> list[Span]:
        """Stops sampling; the spans, in seconds since `start`."""
        self._stop = True
        self._done.acquire(timeout=5)
        self._close(set(self._open))
        return sorted(self._spans, key=lambda s: (s[2], s[0]))[:MAX_SPANS]

    def _run(self) -> None:
        me = _thread.get_ident()
        try:
            while not self._stop and len(self._spans) < MAX_SPANS - MAX_LANES:  # room for the open ones
                try:
                    self._sample(me)
                except ValueError:  # refused while the grader judges a report (grading.tamper): skip one
                    pass
                time.sleep(self._interval)
        except Exception:  # a picture is never worth a failing test
            pass
        finally:
            self._done.release()

    def _sample(self, me: int) -> None:
        now = time.perf_counter() - self._origin
        self._samples += 1
        names = {ident: thread.name for ident, thread in list(threading._active.items())}
        seen = set()
        for ident, frame in sys._current_frames().items():
            if ident == me:
                continue
            what = self._what(frame)
            if what is None:
                continue
            lane = str(names.get(ident, f"thread {ident}"))[:NAME_LIMIT]
            seen.add(lane)
            self._note(lane, what, now)
        self._close(set(self._open) - seen)

    def _note(self, lane: str, what: str, now: float) -> None:
        """Extends the lane's open span when the same thing was seen there in the last sample
        (the sampler itself may wait for the GIL: samples are consecutive, not evenly spaced)."""
        current = self._open.get(lane)
        if current and current[0] == what:
            current[2] = now
            return
        if current:
            self._close({lane})
        if lane in self._open or len(self._open) < MAX_LANES:
            self._open[lane] = [what, now, now]

    def _close(self, lanes: set[str]) -> None:
        for lane in lanes:
            what, start, last = self._open.pop(lane)
            self._spans.append((lane, what, round(start, 4), round(max(last, start + self._interval), 4)))

    def _what(self, frame) -> str | None:
        """What this stack is doing for the submission, or None when it is not in its code."""
        innermost, own = frame, None
        while frame is not None:
            filename = frame.f_code.co_filename
            if filename.startswith(self._prefixes) or "/submission/" in filename:
                own = frame
                break
            frame = frame.f_back
        if own is None:
            return None
        if innermost is not own:
            name = innermost.f_code.co_name
            return f"waits: {name}" if name in BLOCKING else own.f_code.co_qualname[:NAME_LIMIT]
        blocked_in = self._calls_of(own.f_code).get(own.f_lasti)
        return f"waits: {blocked_in}" if blocked_in else own.f_code.co_qualname[:NAME_LIMIT]

    def _calls_of(self, code) -> dict[int, str]:
        """Offsets in `code` where a C-level call may block: a `with` (a lock's __enter__)
        or a call of a method named like a blocking one (lock.acquire(), q.get())."""
        if code not in self._calls:
            found, pending = {}, None
            for instruction in dis.get_instructions(code):
                if instruction.opname == "BEFORE_WITH":
                    found[instruction.offset] = "with (a lock)"
                elif instruction.opname in LOADS and instruction.argval in BLOCKING:
                    pending = instruction.argval  # q.get(self.timeout): `get`, not `timeout`
                elif instruction.opname in ("CALL", "PRECALL") and pending:
                    found[instruction.offset] = pending
                    if instruction.opname == "CALL":
                        pending = None
            self._calls[code] = found
        return self._calls[code]
