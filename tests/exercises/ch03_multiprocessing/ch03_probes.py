"""Trusted helpers the graded tests of chapter 3 send to worker processes.

They live in their own module (not a test file, not the learner's tree) so a
spawn or forkserver worker can import them by one stable name; every test file
of the chapter puts this folder on sys.path first (children inherit it).
Waits are bounded: a helper never hangs a worker for longer than its deadline.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import time

RENDEZVOUS_TIMEOUT = 4.0


def shout_counter(text):
    """A counter other than count_words: upper-cased words, each counted twice."""
    counts = {}
    for word in text.upper().split():
        counts[word] = counts.get(word, 0) + 2
    return counts


def failing_counter(text):
    if "boom" in text:
        raise KeyError(f"no count for {text!r}")
    return {"ok": 1}


def meeting_counter(barrier, text):
    """Count `text` after meeting the other workers at `barrier` (a Manager's).

    Returns counts with two extra keys: `pid:<pid>` (who ran it) and `met`
    (1 if every party was inside at once before the deadline).
    """
    try:
        barrier.wait(RENDEZVOUS_TIMEOUT)
        met = 1
    except threading.BrokenBarrierError:
        met = 0
    return {f"pid:{os.getpid()}": 1, "met": met, **{w: 1 for w in text.split()}}


def last_first_counter(finished, text):
    """Hold a text that starts with "late" until one that ends with "done" has been counted.

    `finished` is a Manager's Event. A pool that merges partials as they finish
    then sees the "late" text's words after the others'.
    """
    words = text.split()
    if words[0] == "late":
        finished.wait(RENDEZVOUS_TIMEOUT)
    counts = {}
    for word in words:
        counts[word] = counts.get(word, 0) + 1
    if words[-1] == "done":
        finished.set()
    return counts


def spin(seconds):
    """Burn CPU for about `seconds` (pure Python, holds the GIL)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def triple(x):
    return 3 * x


def big_answer(x):
    """An answer far larger than a pipe's buffer (64 KiB): it stays in the worker until read."""
    return bytes([x % 256]) * 300_000


def logged_stage(log, x):
    """Record x in `log` (a Manager's list), then fail for a negative x."""
    log.append(x)
    if x < 0:
        raise ValueError(f"negative item {x}")
    return x + 1


def dying_stage(x):
    """Kill the worker process on the item "die", as a crash would (no cleanup, no answer)."""
    if x == "die":
        os._exit(3)
    return x


def meeting_stage(barrier, x):
    """Meet the other workers at `barrier`; report who ran the item and whether all met."""
    try:
        barrier.wait(RENDEZVOUS_TIMEOUT)
        met = True
    except threading.BrokenBarrierError:
        met = False
    return (x, os.getpid(), met)


def meet_pause(arrived, changed, timeout):
    """A pause between a read and a write: wait until another process arrives here too.

    `arrived` is a Value('i', lock=False) guarded by the Condition `changed`.
    Code that holds one lock shared by every process from read to write never
    has two processes in here, so each pause ends at `timeout`; unprotected
    code has a second process read the same old value meanwhile, every time.
    """
    with changed:
        arrived.value += 1
        mine = arrived.value
        changed.notify_all()
        changed.wait_for(lambda: arrived.value > mine, timeout)


def failing_pause():
    raise OSError("the disk is on fire")


def _require_shared(view):
    """A view of the block itself: doubles over a memory map, not a pickled copy."""
    import mmap

    if not isinstance(view, memoryview) or view.format != "d" or not isinstance(view.obj, mmap.mmap):
        raise TypeError(f"fn got {type(view).__name__} (format {getattr(view, 'format', '?')}, over "
                        f"{type(getattr(view, 'obj', None)).__name__}); expected a memoryview of doubles over the shared block")


def double_in_place(view):
    _require_shared(view)
    for i in range(len(view)):
        view[i] = 2 * view[i] + 0.5


_CALLS = 0


def mark_call(view):
    """Overwrite the slice with one token per call: pid * 1000 + how many calls this process made."""
    global _CALLS
    _require_shared(view)
    _CALLS += 1
    for i in range(len(view)):
        view[i] = float(os.getpid() * 1000 + _CALLS)


def fail_in_place(view):
    if len(view) and view[0] < 0:
        raise ZeroDivisionError("a negative slice")
    for i in range(len(view)):
        view[i] = 0.0


def meet_in_place(barrier, view):
    """Meet the other slices' workers at `barrier`; 1.0 in the slice if all met, else 0.0."""
    try:
        barrier.wait(RENDEZVOUS_TIMEOUT)
        met = 1.0
    except threading.BrokenBarrierError:
        met = 0.0
    for i in range(len(view)):
        view[i] = met


def picky_square(x):
    """x * x; a ValueError for a negative x, a TypeError for a string."""
    if isinstance(x, str):
        raise TypeError(f"cannot square {x!r}")
    if x < 0:
        raise ValueError(f"no square for {x}")
    return x * x


def slow_first(finished, x):
    """Item 0 waits (bounded) until the last item is done: answers arrive out of order."""
    if x == 0:
        finished.wait(RENDEZVOUS_TIMEOUT)
    if x == "last":
        finished.set()
    return x


def defaults_differ(fn, **expected):
    """The keyword defaults of `fn` that differ from `expected`, as a sentence ("" if none).

    Used by the tests themselves (not sent to workers): a stub's signature is
    part of its promise, `workers=2` included.
    """
    import inspect

    parameters = inspect.signature(fn).parameters
    wrong = [
        f"{name}={parameters[name].default!r} (expected {value!r})"
        for name, value in expected.items()
        if name not in parameters or parameters[name].default != value
    ]
    return f"{fn.__name__} has the defaults " + ", ".join(wrong) if wrong else ""


def lingering_stage(x):
    """Answer, but leave a non-daemon thread behind that never ends: the worker cannot exit."""
    threading.Thread(target=threading.Event().wait, name="lingering").start()
    return x


def late_failure(second_failed, x):
    """Fail for every item; the item 1 fails only after item 2 has (a Manager's Event)."""
    if x == 1:
        second_failed.wait(RENDEZVOUS_TIMEOUT)
    if x == 2:
        second_failed.set()
    raise ValueError(f"item {x} failed")


@contextlib.contextmanager
def meeting(mp_context, parties):
    """Used by the tests: meeting_stage bound to a Manager's Barrier of `parties`."""
    with mp_context.Manager() as manager:
        yield functools.partial(meeting_stage, manager.Barrier(parties))
