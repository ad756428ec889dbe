"""Trusted helpers the graded tests of test_cpu_vs_io.py send to worker processes.

They live in their own module (not the test file, not the student's tree) so
that a spawn or forkserver child can import them by this one stable name.
"""

import os
import threading

RENDEZVOUS_TIMEOUT = 4.0


def square(x):
    return x * x


def rendezvous(barrier, item):
    """Wait (with a deadline) until every party of `barrier` is inside; report who ran it.

    Parallel workers meet at once. A serial or one-at-a-time implementation
    leaves the first caller alone until the deadline, and the barrier breaks.
    """
    try:
        barrier.wait(RENDEZVOUS_TIMEOUT)
        met = True
    except threading.BrokenBarrierError:
        met = False
    return {"item": item, "square": item * item, "pid": os.getpid(), "met": met}


# Set by a test in the parent process: a forked child inherits the value, a
# spawned or forkserver child imports this module afresh and sees None.
MARK = None


def how_was_i_started(_item):
    return {"pid": os.getpid(), "ppid": os.getppid(), "mark": MARK}


def start_method_seen(report, parent_pid, mark):
    """Tell fork, spawn and forkserver workers apart from what they reported."""
    if report["mark"] == mark:
        return "fork"
    return "spawn" if report["ppid"] == parent_pid else "forkserver"


def square_or_fail(x):
    """x * x, or a ValueError for a negative x (an error raised in a worker process)."""
    if x < 0:
        raise ValueError(f"no square for a negative item: {x}")
    return x * x
