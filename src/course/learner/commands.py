"""The learner's commands: `course list`, `check`, `hint`, `reset` and `watch`.

What a learner reads is worded in course.learner.feedback; every command
printed for them to type comes from `typed()`, so it works as printed.
"""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from course import catalogue as catalogue_module
from course.catalogue import Catalogue, CatalogueError, Exercise
from course.learner import progress
from course.learner.feedback import points, typed

console = Console(highlight=False, soft_wrap=True)  # a command the learner copies is never cut in two


def cmd_list(args: argparse.Namespace) -> int:
    catalogue = catalogue_module.load()
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
            progress.record(catalogue, result.exercise, result.score, [t.task.id for t in result.tasks if not t.passed])
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
    catalogue = catalogue_module.load()
    exercises = _pick(catalogue, args.id)
    return 0 if check_exercises(catalogue, exercises, args.against, args.verbose) else 1


def cmd_hint(args: argparse.Namespace) -> int:
    catalogue = catalogue_module.load()
    exercise = catalogue.exercise(args.id)
    if args.task is not None:
        try:
            tasks = [exercise.task(args.task)]
        except KeyError:
            known = ", ".join(task.id for task in exercise.tasks)
            raise CatalogueError(f"exercise {exercise.id!r} has tasks 1 to {len(exercise.tasks)} ({known}), not {args.task}") from None
    else:
        # The first task that failed in the last check (recorded by id: tasks may have been reordered since).
        failed = set(progress.load(catalogue).get(exercise.id, {}).get("failed_tasks") or ())
        tasks = [task for task in exercise.tasks if task.id in failed][:1] or [exercise.tasks[0]]
    for task in tasks:
        console.print(f"[bold]{exercise.id}, task {task.number}: {escape(task.title)}[/] ({points(task.points)})")
        console.print(escape(task.hint))
    if args.task is None and len(exercise.tasks) > 1:
        console.print(f"[dim]Hints for other tasks: `{typed('course')} hint {exercise.id} N` (N = 1..{len(exercise.tasks)})[/]")
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    """Restore the stub shipped with the toolkit, keeping a backup of the learner's file."""
    from course.learner.reset import reset

    catalogue = catalogue_module.load()
    exercise = catalogue.exercise(args.id)
    backup = reset(catalogue, exercise)
    if backup:
        console.print(f"Your version is saved in {backup.relative_to(catalogue.root)}")
    console.print(f"Restored the stub exercises/{exercise.relpath()}; its score is cleared.")
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    from course.learner.watch import watch

    return watch(catalogue_module.load(), args.id, check_once, console)
