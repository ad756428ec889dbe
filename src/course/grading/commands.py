"""The instructor's and maintainer's commands: `course grade`, `grade-all` and `verify`."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from course import catalogue as catalogue_module
from course.catalogue import CatalogueError

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


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
    the catalogue cannot be read (Gradescope must never show a silent zero); exit 2 then.
    With --require-full-marks, exit 1 short of full marks: a GitHub Classroom step
    awards its points on exit 0."""
    from course.grading.report import as_gradescope, as_json, print_text

    report = _graded(args)
    if args.format == "json":
        _write(as_json(report), args.output)
    elif args.format == "gradescope":
        _write(as_gradescope(report), args.output)
    else:
        print_text(report, console, verbose=args.verbose)
    if report.error:
        return 2
    return 1 if getattr(args, "require_full_marks", False) and report.score < report.max_score else 0


def _graded(args: argparse.Namespace):
    """The report of `course grade`; a failure before grading starts is recorded in it, like one during."""
    from course.grading import Report, grade

    try:
        catalogue = catalogue_module.load()
        exercises = catalogue.select(args.names)
    except CatalogueError as error:
        return Report(tree=args.against, error=str(error))
    bar, on_start, on_result = _progress_hooks(len(exercises))
    with bar:
        return grade(catalogue, exercises, catalogue.tree(args.against), repeats=args.repeat, on_start=on_start,
                     on_result=on_result, tree_label=args.against)


def cmd_grade_all(args: argparse.Namespace) -> int:
    """Grade every student folder in a directory (engine.grade_class): a report per student, a gradebook."""
    from course.grading.engine import grade_class
    from course.grading.report import as_gradescope, as_json

    catalogue = catalogue_module.load()
    exercises = catalogue.select(args.names)
    folder = Path(args.submissions)
    if not folder.is_dir():
        raise CatalogueError(f"{folder} is not a folder of submissions (one folder per student)")
    if not any(p.is_dir() and not p.name.startswith(".") for p in folder.iterdir()):
        raise CatalogueError(f"{folder} has no student folders")
    output = Path(args.output).resolve()

    def graded(student: str, report) -> None:
        console.print(f"{student}: {report.score}/{report.max_score} points ({report.duration:.1f} s)"
                      + (f" [red]{escape(report.error)}[/]" if report.error else ""))

    grade_class(catalogue, exercises, folder, output, as_gradescope if args.format == "gradescope" else as_json,
                repeats=args.repeat, on_graded=graded)
    console.print(f"Wrote {output / 'gradebook.csv'}, {output / 'results.json'} and one report per student in {output}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from course.grading.verify import verify

    catalogue = catalogue_module.load()
    exercises = catalogue.select(args.names)
    started = time.monotonic()

    def show(check) -> None:
        mark = "[green]ok[/]  " if check.ok else "[red]FAIL[/]"
        console.print(f"{mark} {check.exercise.id:<18} {check.subject:<40} {escape(check.detail)}", soft_wrap=True)

    failures = []
    for round_number in range(args.rounds):
        if args.rounds > 1:
            console.print(f"[bold]round {round_number + 1} of {args.rounds}[/]")
        failures += [c for c in verify(catalogue, exercises, repeats=args.repeat, on_check=show, jobs=args.jobs) if not c.ok]
    console.print(f"{len(exercises)} exercise(s) verified in {time.monotonic() - started:.0f} s")
    for check in failures:
        errors.print(f"[red]offender:[/] {check.exercise.id} {check.subject}: {escape(check.detail)}", soft_wrap=True)
    return 1 if failures else 0
