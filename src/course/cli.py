"""The `course` command: ONE table of every subcommand, the student loop, grading, the book, services.

Each entry names where its options and its handler live; only the chosen
command's module is imported.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass
from typing import Callable

from rich.console import Console
from rich.markup import escape

from course.catalogue import CatalogueError

errors = Console(stderr=True, highlight=False)


# ---------------------------------------------------------------- the command table


def _list_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def _check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", nargs="?", help="an exercise or a chapter id (default: the next unfinished exercise)")
    parser.add_argument("--against", default="exercises", help="exercises (default), solutions or a path")
    parser.add_argument("-v", "--verbose", action="store_true", help="also show the run's output")


def _hint_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id")
    parser.add_argument("task", nargs="?", help="a task's number or id (default: the first failing task)")


def _reset_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id")


def _watch_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", nargs="?", help="only this exercise (default: whichever file changes)")


def _grade_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", help="exercise or chapter ids (default: all)")
    parser.add_argument("--against", default="exercises", help="exercises (default), solutions or a path to a student's tree")
    parser.add_argument("--format", choices=("text", "json", "gradescope"), default="text")
    parser.add_argument("--output", help="write the report to this file")
    parser.add_argument("--repeat", type=int, help="override every exercise's repeat count")
    parser.add_argument("--require-full-marks", action="store_true",
                        help="exit 1 unless every exercise graded earns full marks (a GitHub Classroom step scores on this)")
    parser.add_argument("-v", "--verbose", action="store_true")


def _grade_all_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("submissions")
    parser.add_argument("names", nargs="*", help="exercise or chapter ids (default: all)")
    parser.add_argument("--format", choices=("json", "gradescope"), default="json", help="format of each student's report")
    parser.add_argument("--output", default="grades", help="folder for the reports and gradebook.csv (default: grades)")
    parser.add_argument("--repeat", type=int)
    parser.add_argument("--only", action="append", default=[], metavar="STUDENT",
                        help="regrade this student (repeatable); the others' results in OUTPUT are kept")
    parser.add_argument("--deadline", metavar="WHEN", help="ISO 8601, e.g. 2026-12-01T23:59+01:00 (no zone: UTC)")
    parser.add_argument("--late", default="zero", metavar="POLICY",
                        help="with --deadline: 'zero' (default: late work scores 0) or a percentage lost per day late, e.g. 10")
    parser.add_argument("--times", metavar="CSV", help="submission times (student, ISO 8601 time) exported from your "
                        "platform; default: each student folder's last git commit")
    parser.add_argument("--similarity", type=float, default=0.9, metavar="SHARE",
                        help="flag pairs of submissions at least this alike, 0..1 (default 0.9: short exercise "
                             "files written independently reach 0.8)")
    parser.add_argument("--no-feedback", action="store_true", help="skip the feedback files and their timelines")


def _verify_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", help="exercise or chapter ids (default: all)")
    parser.add_argument("--repeat", type=int, help="override every exercise's repeat count")
    parser.add_argument("--rounds", type=int, default=1, help="run the whole verification this many times")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="checks graded at once, each in its own sandboxed run (default 1; CI uses 2 on 2 cores)")


@dataclass(frozen=True)
class Command:
    """One `course` subcommand: its help, how to add its options and what runs it.

    `arguments` and `run` are callables of this module or "module:function"
    names, imported only when that command is the one being run, so
    `course check` never pays for Celery, Pyro5 or matplotlib.
    """

    help: str
    run: str | Callable[[argparse.Namespace], int]
    arguments: str | Callable[[argparse.ArgumentParser], None] | None = None


def _resolve(target):
    if not isinstance(target, str):
        return target
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


LEARNER = "course.learner.commands"
GRADING = "course.grading.commands"
SERVICES = "course.capstone.services"
INSTRUCTOR = "course.instructor"

COMMANDS: dict[str, Command] = {
    "list": Command("chapters, exercises, points earned and what to do next", f"{LEARNER}:cmd_list", _list_arguments),
    "check": Command("grade one exercise or a whole chapter (default: the next unfinished exercise)", f"{LEARNER}:cmd_check", _check_arguments),
    "hint": Command("show a hint for an exercise's task", f"{LEARNER}:cmd_hint", _hint_arguments),
    "reset": Command("restore an exercise's stub and clear its score (your version is backed up)", f"{LEARNER}:cmd_reset", _reset_arguments),
    "watch": Command("re-check an exercise every time its file is saved", f"{LEARNER}:cmd_watch", _watch_arguments),
    "grade": Command("grade exercises or chapters from a tree", f"{GRADING}:cmd_grade", _grade_arguments),
    "grade-all": Command("grade a folder of submissions (one folder per student) into a gradebook", f"{GRADING}:cmd_grade_all", _grade_all_arguments),
    "verify": Command("prove solutions pass, stubs fail, buggy variants lose their tasks", f"{GRADING}:cmd_verify", _verify_arguments),
    "mutate": Command("mutate the reference solutions and report the mutants the graded tests miss",
                      "course.grading.mutate:run", "course.grading.mutate:add_arguments"),
    "release": Command("write the student repository: stubs, labs, book, graded tests, no solutions",
                       f"{INSTRUCTOR}.release:run", f"{INSTRUCTOR}.release:add_arguments"),
    "gradescope": Command("write a Gradescope autograder package (setup.sh, run_autograder) as a zip",
                          f"{INSTRUCTOR}.gradescope:run", f"{INSTRUCTOR}.gradescope:add_arguments"),
    "book": Command("build the book strictly, and optionally serve it on 127.0.0.1", "course.book:run", "course.book:add_arguments"),
    "bench": Command("benchmark the capstone's backends against serial and multiprocessing.Pool",
                     "course.bench:run", "course.bench:add_arguments"),
    "pyro-nameserver": Command("run a Pyro5 name server (127.0.0.1:9090 by default) until SIGTERM",
                               f"{SERVICES}:run_nameserver", f"{SERVICES}:nameserver_arguments"),
    "pyro-worker": Command("run a Pyro5 capstone worker, registered in the name server, until SIGTERM",
                           f"{SERVICES}:run_worker", f"{SERVICES}:worker_arguments"),
    "celery-worker": Command("run a Celery capstone worker (embedded broker unless COURSE_BROKER_URL) until SIGTERM",
                             f"{SERVICES}:run_celery_worker", f"{SERVICES}:celery_arguments"),
}


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The parser; only the `chosen` command gets its options (and imports its module)."""
    parser = argparse.ArgumentParser(prog="course", description="Concurrency and distributed computing in Python: exercises, grading and services.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, command in COMMANDS.items():
        full = name == chosen
        # Unchosen commands take no options and no -h: the first pass must only find the command.
        command_parser = sub.add_parser(name, help=command.help, description=command.help, add_help=full)
        if full and command.arguments is not None:
            _resolve(command.arguments)(command_parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # Two passes of argparse: the first only finds which command was asked for.
    first, _ = build_parser().parse_known_args(argv)
    if first.command is None:
        first.command, argv = "list", ["list"]
    args = build_parser(first.command).parse_args(argv)
    command = COMMANDS[args.command]
    try:
        run = _resolve(command.run)
    except ImportError as error:
        errors.print(f"[red]error:[/] `course {args.command}` is not available: {escape(str(error))}")
        return 2
    try:
        return run(args)
    except CatalogueError as error:
        errors.print(f"[red]error:[/] {escape(str(error))}")
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
