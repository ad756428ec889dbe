"""The instructor's and maintainer's commands: `course grade`, `grade-all` and `verify`."""

from __future__ import annotations

import argparse
import os
import tempfile
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
    """Grade every student folder in a directory (engine.grade_class): a report and feedback per
    student, a gradebook, an LMS export and a class report, with a progress bar over students."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from course.grading.classroom import ClassOptions
    from course.grading.engine import grade_class
    from course.grading.report import as_gradescope, as_json

    catalogue = catalogue_module.load()
    exercises = catalogue.select(args.names)
    folder = Path(args.submissions)
    if not folder.is_dir():
        raise CatalogueError(f"{folder} is not a folder of submissions (one folder per student)")
    students = [p for p in folder.iterdir() if not p.name.startswith(".") and (p.is_dir() or p.is_symlink())]
    if not students:
        raise CatalogueError(f"{folder} has no student folders")
    output = Path(args.output).resolve()
    if not 0 < args.similarity <= 1:
        raise CatalogueError(f"--similarity {args.similarity:g}: a share between 0 and 1, e.g. 0.9")
    options = ClassOptions(late=_late_policy(args), feedback=not args.no_feedback, class_report=True,
                           similarity=args.similarity, only=tuple(dict.fromkeys(args.only)))
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=console, transient=True)
    task = bar.add_task("grading", total=len(options.only or students))

    def graded(student: str, report) -> None:
        late = f", {report.late.days_late} day(s) late: {report.final:g} after the penalty" if report.late.days_late else ""
        bar.console.print(f"{escape(student)}: {report.score}/{report.max_score} points ({report.duration:.1f} s){late}"
                          + (f" [red]{escape(report.error)}[/]" if report.error else ""))
        bar.advance(task)

    # Matplotlib (timelines, the histogram) keeps a font cache in the user's home; grade-all leaves
    # nothing outside --output (the classroom container is audited for new files), so it gets a scratch one.
    with tempfile.TemporaryDirectory(prefix="course-matplotlib-") as scratch, bar:
        os.environ.setdefault("MPLCONFIGDIR", scratch)
        grade_class(catalogue, exercises, folder, output, as_gradescope if args.format == "gradescope" else as_json,
                    repeats=args.repeat, on_graded=graded, options=options,
                    on_start=lambda student: bar.update(task, description=f"grading {escape(student)}"))
    console.print(f"Wrote {output / 'gradebook.csv'}, lms.csv, results.json, class-report.md/.html, one report per "
                  f"student{' and feedback/' if options.feedback else ''} in {output}")
    return 0


def _late_policy(args: argparse.Namespace):
    from course.grading.classroom import LatePolicy, parse_when, read_times

    if not args.deadline:
        if args.times or args.late != "zero":
            raise CatalogueError("--late and --times need a --deadline")
        return None
    if args.late == "zero":
        per_day = None
    else:
        try:
            per_day = float(args.late.rstrip("%")) / 100
        except ValueError:
            raise CatalogueError(f"--late {args.late!r}: write 'zero' or a percentage per day, e.g. 10") from None
        if not 0 <= per_day <= 1:
            raise CatalogueError(f"--late {args.late!r}: a percentage per day between 0 and 100")
    try:
        times = read_times(Path(args.times)) if args.times else {}
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogueError(f"--times {args.times}: {error}") from None
    return LatePolicy(parse_when(args.deadline), per_day, times)


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
