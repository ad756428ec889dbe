"""Entry point of a confined grading run: `python -I -m course.grading.child ...`.

Runs inside the sandbox the grader set up (own process group or PID
namespace, memory and process limits, a throwaway working folder). The key
that signs results arrives on stdin and stdin is closed before pytest
imports anything of the student's; the process is made non-dumpable first,
and from then on the key lives only in the judge (channel.judge), which only
the audit hook holds and which runs in a thread of its own
(tamper.install_audit_hook).
"""

from __future__ import annotations

import argparse
import faulthandler
import os
import resource
import signal
import sys
from pathlib import Path

STACK_DUMP_SIGNAL = signal.SIGUSR1


class AlreadyJudged:
    """Leaves out the tests an earlier run of this exercise judged before it hung."""

    def __init__(self, node_ids: list[str]):
        self.node_ids = set(node_ids)

    def pytest_collection_modifyitems(self, config, items: list) -> None:
        left_out = [item for item in items if item.nodeid in self.node_ids]
        if left_out:
            items[:] = [item for item in items if item.nodeid not in self.node_ids]
            config.hook.pytest_deselected(items=left_out)


def main() -> None:
    parser = argparse.ArgumentParser(prog="course.grading.child")
    parser.add_argument("--result-fd", type=int, required=True)
    parser.add_argument("--test-file", required=True)
    parser.add_argument("--tree", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--test-timeout", type=float, default=10.0)
    parser.add_argument("--budget", type=float, help="the run's wall clock in seconds: each test gets a share (grading.pacing)")
    parser.add_argument("--skip", action="append", default=[], metavar="NODEID",
                        help="a test already judged in an earlier run of this exercise (that run hung)")
    parser.add_argument("--timeline", action="store_true", help="record who ran what and who waited, for feedback")
    parser.add_argument("--rlimit", action="append", default=[], help="NAME=VALUE, e.g. AS=2147483648")
    args = parser.parse_args()
    for limit in args.rlimit:
        name, _, value = limit.partition("=")
        resource.setrlimit(getattr(resource, f"RLIMIT_{name}"), (int(value), int(value)))

    from course.grading.channel import undumpable

    undumpable()  # before the key arrives
    key = bytes.fromhex(sys.stdin.readline().strip())
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    # Before the grader kills a run that overran its time, it asks for every thread's stack.
    faulthandler.register(STACK_DUMP_SIGNAL, all_threads=True, file=sys.__stderr__)

    import pytest

    import pytest_timeout

    from course.grading.channel import ReportingPlugin, TimelinePlugin, dump_stacks_as_text, judge
    from course.grading.pacing import Pacing
    from course.grading.tamper import install_audit_hook

    # Before any student code: from here on, its frames cannot walk objects or frames,
    # trace, use ctypes, read /proc/*/mem or import the solutions, and only the audit
    # hook holds the judge, the one thing that can sign a record.
    toolkit = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    trusted = (sys.prefix, sys.base_prefix, toolkit, os.path.join(args.root, "tests"))
    verdicts = judge(args.result_fd, key, main.__code__, Path(args.root) / "tests")
    next(verdicts)
    install_audit_hook(args.tree, trusted, verdicts, tests_root=os.path.join(args.root, "tests"))
    del verdicts, key
    pytest_timeout.dump_stacks = dump_stacks_as_text
    # Before any student code: a run without this record never reached it, so whatever
    # stopped it is the grader's failure, not the student's.
    sys.audit("course.send", {"type": "started"})
    exit_code = pytest.main(
        [
            args.test_file,
            f"--rootdir={args.root}",
            "-c", os.path.join(args.root, "pyproject.toml"),
            "--import-mode=importlib",
            "-p", "no:cacheprovider",
            f"--against={args.tree}",
            f"--timeout={args.test_timeout}",
            "--tb=short",
            "-q",
        ],
        plugins=[ReportingPlugin(args.repeats), Pacing(args.budget), AlreadyJudged(args.skip),
                 *([TimelinePlugin(args.tree)] if args.timeline else [])],
    )
    sys.audit("course.send", {"type": "done", "exit": int(exit_code)})
    sys.stdout.flush()
    sys.stderr.flush()
    # Leftover non-daemon threads (a deadlocked worker) would keep a normal exit waiting forever.
    os._exit(0)


if __name__ == "__main__":
    main()
