"""The `course` command: the student loop, grading, verification, the book, benchmarks, services."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from course import catalogue as catalogue_module
from course.learner import progress
from course.learner.feedback import points, typed
from course.catalogue import Catalogue, CatalogueError, Exercise

console = Console(highlight=False, soft_wrap=True)  # a command the learner copies is never cut in two
errors = Console(stderr=True, highlight=False)


def _catalogue() -> Catalogue:
    return catalogue_module.load()


# ---------------------------------------------------------------- student loop

def cmd_list(args: argparse.Namespace) -> int:
    catalogue = _catalogue()
    state = progress.load(catalogue)
    upcoming = progress.next_exercise(catalogue, state)
    if args.json:
        print(json.dumps({
            "title": catalogue.title,
            "next": upcoming.id if upcoming else None,
            "earned": sum(progress.earned(state, e) for e in catalogue.exercises),
            "max": sum(e.max_points for e in catalogue.exercises),
            "chapters": [
                {"id": chapter.id, "title": chapter.title, "exercises": [
                    {"id": e.id, "title": e.title, "file": f"exercises/{e.relpath()}",
                     "earned": progress.earned(state, e), "max": e.max_points, "tasks": len(e.tasks)}
                    for e in catalogue.chapter_exercises(chapter.id)
                ]}
                for chapter in catalogue.chapters
            ],
        }, indent=2))
        return 0
    table = Table(title=catalogue.title, show_lines=False)
    for column in ("chapter", "exercise", "title", "points"):
        table.add_column(column)
    for chapter in catalogue.chapters:
        for exercise in catalogue.chapter_exercises(chapter.id):
            earned = progress.earned(state, exercise)
            style = "green" if earned == exercise.max_points else ("bold" if exercise is upcoming else "")
            table.add_row(chapter.id, exercise.id, escape(exercise.title), f"{earned}/{exercise.max_points}", style=style)
    console.print(table)
    total = sum(progress.earned(state, e) for e in catalogue.exercises)
    console.print(f"Points: {total}/{sum(e.max_points for e in catalogue.exercises)}")
    if upcoming:
        console.print(f"Next: [bold]{upcoming.id}[/] — edit exercises/{upcoming.relpath()}, then run `{typed('course')} check {upcoming.id}`")
    else:
        console.print("[green]Every exercise is done. Well played.[/]")
    return 0


def _pick(catalogue: Catalogue, name: str | None) -> list[Exercise]:
    """The exercises `course check NAME` means: an exercise, a whole chapter, or the next unfinished one."""
    if name:
        return catalogue.select([name])
    upcoming = progress.next_exercise(catalogue, progress.load(catalogue))
    if upcoming is None:
        raise CatalogueError("every exercise already has full marks; name one to check it again")
    return [upcoming]


def check_exercises(catalogue: Catalogue, exercises: list[Exercise], against: str = "exercises", verbose: bool = False) -> bool:
    """Grade, show and record each exercise; True when every one has full marks."""
    from course.grading import grade
    from course.grading.report import print_text

    tree = catalogue.tree(against)
    what = exercises[0].id if len(exercises) == 1 else f"{len(exercises)} exercises"
    with console.status(f"Checking {what} ({sum(len(e.tasks) for e in exercises)} tasks)..."):
        report = grade(catalogue, exercises, tree)
    print_text(report, console, verbose=verbose)
    if against == "exercises":
        for result in report.results:
            progress.record(catalogue, result.exercise, result.score, [t.task.number for t in result.tasks if not t.passed])
    unfinished = [r for r in report.results if not r.complete]
    if report.error:
        return False
    if not unfinished:
        console.print(f"[green]Full marks.[/] Next: `{typed('course')} list`.")
        return True
    first = unfinished[0]
    failing = next(t.task.number for t in first.tasks if not t.passed)
    console.print(f"Stuck? `{typed('course')} hint {first.exercise.id} {failing}`")
    return False


def check_once(catalogue: Catalogue, exercise: Exercise, against: str = "exercises", verbose: bool = False) -> bool:
    """One exercise (what `course watch` runs on every save)."""
    return check_exercises(catalogue, [exercise], against, verbose)


def cmd_check(args: argparse.Namespace) -> int:
    catalogue = _catalogue()
    exercises = _pick(catalogue, args.id)
    return 0 if check_exercises(catalogue, exercises, args.against, args.verbose) else 1


def cmd_hint(args: argparse.Namespace) -> int:
    catalogue = _catalogue()
    exercise = catalogue.exercise(args.id)
    if args.task is not None:
        try:
            tasks = [exercise.task(args.task)]
        except KeyError:
            raise CatalogueError(f"exercise {exercise.id!r} has tasks 1 to {len(exercise.tasks)}, not {args.task}") from None
    else:
        failed = progress.load(catalogue).get(exercise.id, {}).get("failed_tasks")
        tasks = [exercise.task(n) for n in failed if n <= len(exercise.tasks)][:1] if failed else [exercise.tasks[0]]
    for task in tasks:
        console.print(f"[bold]{exercise.id}, task {task.number}: {escape(task.title)}[/] ({points(task.points)})")
        console.print(escape(task.hint))
    if args.task is None and len(exercise.tasks) > 1:
        console.print(f"[dim]Hints for other tasks: `{typed('course')} hint {exercise.id} N` (N = 1..{len(exercise.tasks)})[/]")
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    """Restore the stub shipped with the toolkit, keeping a backup of the learner's file."""
    from course.learner.reset import reset

    catalogue = _catalogue()
    exercise = catalogue.exercise(args.id)
    backup = reset(catalogue, exercise)
    if backup:
        console.print(f"Your version is saved in {backup.relative_to(catalogue.root)}")
    console.print(f"Restored the stub exercises/{exercise.relpath()}; its score is cleared.")
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    from course.learner.watch import watch

    return watch(_catalogue(), args.id, check_once, console)


# ---------------------------------------------------------------- grading

def _write(text: str, output: str | None) -> None:
    if output:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text)
        console.print(f"Wrote {output}")
    else:
        print(text)


def _progress_hooks(total: int):
    from rich.progress import Progress

    bar = Progress(console=errors, transient=True)
    task = bar.add_task("grading", total=total)
    return bar, (lambda e: bar.update(task, description=f"grading {e.id}")), (lambda r: bar.advance(task))


def cmd_grade(args: argparse.Namespace) -> int:
    """Grade and write the report in the chosen format. A report is always written, even when
    the catalogue cannot be read (Gradescope must never show a silent zero); exit 2 then."""
    from course.grading.report import as_gradescope, as_json, print_text

    report = _graded(args)
    if args.format == "json":
        _write(as_json(report), args.output)
    elif args.format == "gradescope":
        _write(as_gradescope(report), args.output)
    else:
        print_text(report, console, verbose=args.verbose)
    return 0 if not report.error else 2


def _graded(args: argparse.Namespace):
    """The report of `course grade`; a failure before grading starts is recorded in it, like one during."""
    from course.grading import Report, grade

    try:
        catalogue = _catalogue()
        exercises = catalogue.select(args.names)
    except CatalogueError as error:
        return Report(tree=args.against, error=str(error))
    bar, on_start, on_result = _progress_hooks(len(exercises))
    with bar:
        return grade(catalogue, exercises, catalogue.tree(args.against), repeats=args.repeat, on_start=on_start,
                     on_result=on_result, tree_label=args.against)


def cmd_grade_all(args: argparse.Namespace) -> int:
    """Grade every student folder in a directory; write each report and a gradebook CSV."""
    from course.grading import grade
    from course.grading.report import as_gradescope, as_json, gradebook_csv

    catalogue = _catalogue()
    exercises = catalogue.select(args.names)
    folder = Path(args.submissions)
    if not folder.is_dir():
        raise CatalogueError(f"{folder} is not a folder of submissions (one folder per student)")
    students = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not students:
        raise CatalogueError(f"{folder} has no student folders")
    output = Path(args.output).resolve()
    output.mkdir(parents=True, exist_ok=True)
    reports = {}
    render = as_gradescope if args.format == "gradescope" else as_json
    for number, student in enumerate(students, start=1):
        console.print(f"[{number}/{len(students)}] {student.name}")
        # The submissions and the reports folder are read-only to student code (where the
        # sandbox can mount them so), and reports are written only once everyone is graded.
        report = grade(catalogue, exercises, student, repeats=args.repeat, tree_label=str(student),
                       protect=(folder.resolve(), output))
        reports[student.name] = report
        console.print(f"    {report.score}/{report.max_score} points ({report.duration:.1f} s)")
    for student, report in reports.items():
        (output / f"{student}.json").write_text(render(report))
    (output / "gradebook.csv").write_text(gradebook_csv(reports))
    console.print(f"Wrote {output / 'gradebook.csv'} and one report per student in {output}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from course.grading.verify import verify

    catalogue = _catalogue()
    exercises = catalogue.select(args.names)
    started = time.monotonic()

    def show(check) -> None:
        mark = "[green]ok[/]  " if check.ok else "[red]FAIL[/]"
        console.print(f"{mark} {check.exercise.id:<18} {check.subject:<40} {escape(check.detail)}", soft_wrap=True)

    failures = []
    for round_number in range(args.rounds):
        if args.rounds > 1:
            console.print(f"[bold]round {round_number + 1} of {args.rounds}[/]")
        failures += [c for c in verify(catalogue, exercises, repeats=args.repeat, on_check=show) if not c.ok]
    console.print(f"{len(exercises)} exercise(s) verified in {time.monotonic() - started:.0f} s")
    for check in failures:
        errors.print(f"[red]offender:[/] {check.exercise.id} {check.subject}: {escape(check.detail)}", soft_wrap=True)
    return 1 if failures else 0


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
    parser.add_argument("-v", "--verbose", action="store_true")


def _grade_all_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("submissions")
    parser.add_argument("names", nargs="*", help="exercise or chapter ids (default: all)")
    parser.add_argument("--format", choices=("json", "gradescope"), default="json", help="format of each student's report")
    parser.add_argument("--output", default="grades", help="folder for the reports and gradebook.csv (default: grades)")
    parser.add_argument("--repeat", type=int)


def _verify_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", help="exercise or chapter ids (default: all)")
    parser.add_argument("--repeat", type=int, help="override every exercise's repeat count")
    parser.add_argument("--rounds", type=int, default=1, help="run the whole verification this many times")


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


SERVICES = "course.capstone.services"

COMMANDS: dict[str, Command] = {
    "list": Command("chapters, exercises, points earned and what to do next", cmd_list, _list_arguments),
    "check": Command("grade one exercise or a whole chapter (default: the next unfinished exercise)", cmd_check, _check_arguments),
    "hint": Command("show a hint for an exercise's task", cmd_hint, _hint_arguments),
    "reset": Command("restore an exercise's stub and clear its score (your version is backed up)", cmd_reset, _reset_arguments),
    "watch": Command("re-check an exercise every time its file is saved", cmd_watch, _watch_arguments),
    "grade": Command("grade exercises or chapters from a tree", cmd_grade, _grade_arguments),
    "grade-all": Command("grade a folder of submissions (one folder per student) into a gradebook", cmd_grade_all, _grade_all_arguments),
    "verify": Command("prove solutions pass, stubs fail, buggy variants lose their tasks", cmd_verify, _verify_arguments),
    "mutate": Command("mutate the reference solutions and report the mutants the graded tests miss",
                      "course.grading.mutate:run", "course.grading.mutate:add_arguments"),
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
