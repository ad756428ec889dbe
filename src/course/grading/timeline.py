"""Who ran which of the submission's functions, and who waited: a timeline of one graded test.

Runs inside the confined child, beside the student's code, for `grade-all`'s
feedback. A sampler thread looks at every thread's stack every `INTERVAL`
seconds (no tracing or profiling hook, so the code under test runs at its own
speed and its timeouts mean what they mean without it; and no frame object of
another thread, which can crash the classroom's interpreter: see
course.testing.stacks) and notes, per thread,
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
import ast
import functools
import os
import threading
import time

from course.testing.stacks import Frame, parsed_source, qualified_name, thread_stacks

INTERVAL = 0.002
MAX_SPANS = 200
MAX_LANES = 16
NAME_LIMIT = 60
BLOCKING = frozenset({"acquire", "wait", "wait_for", "join", "get", "put", "result", "sleep", "_wait_for_tstate_lock",
                      "select", "recv", "accept", "poll", "as_completed", "gather"})

Span = tuple[str, str, float, float]  # lane (thread), what (a function, or "waits: acquire"), start, end


class Recorder:
    """Samples the stacks of every thread while a test runs; `stop()` gives the spans."""

    def __init__(self, tree: str, interval: float = INTERVAL):
        # The tree is imported through a `submission` link (course.testing.plugin.expose_tree).
        self._prefixes = (os.path.join(tree, ""), os.path.join(os.path.realpath(tree), ""))
        self._interval = interval
        self._stop = False
        self._done = _thread.allocate_lock()
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
                self._sample(me)
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
        for ident, frames in thread_stacks().items():
            if ident == me:
                continue
            what = self._what(frames)
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

    def _what(self, frames: list[Frame]) -> str | None:
        """What this stack (innermost frame first) is doing for the submission, or None
        when it is not in its code."""
        own = next((f for f in frames if f[0].startswith(self._prefixes) or "/submission/" in f[0]), None)
        if own is None:
            return None
        if frames[0] is not own:
            name = frames[0][2]
            return f"waits: {name}" if name in BLOCKING else qualified_name(own)[:NAME_LIMIT]
        blocked_in = _blocking_lines(own[0]).get(own[1])
        return f"waits: {blocked_in}" if blocked_in else qualified_name(own)[:NAME_LIMIT]


@functools.lru_cache(maxsize=64)
def _blocking_lines(filename: str) -> dict[int, str]:
    """Lines of the file where a C-level call may block: a `with` (a lock's __enter__) or a
    call of a method named like a blocking one (lock.acquire(), q.get())."""
    found = {}
    for node in ast.walk(parsed_source(filename) or ast.Module(body=[], type_ignores=[])):
        if isinstance(node, ast.With):
            found.setdefault(node.lineno, "with (a lock)")
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name in BLOCKING:
                found.setdefault(node.lineno, name)
    return found
