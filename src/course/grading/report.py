"""Render one grading `Report` as text, JSON, Gradescope's results.json, or a class gradebook.

Every format is built from the same report model, so a score can never
differ between what a student sees and what an instructor uploads.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from typing import Any

from rich.console import Console
from rich.markup import escape

from course.catalogue import Catalogue
from course.grading.results import ExerciseResult, Lateness, Report, TaskResult, TestResult
from course.learner.feedback import tidy

FAILURE_LINES = 12


def first_failure(task: TaskResult, repeats: int) -> str:
    failures = task.failures
    if not task.tests:
        return "no test of this task ran"
    first = failures[0]
    failed_repeats = sorted({t.repeat + 1 for t in failures})
    where = f" (failed in repeat {', '.join(map(str, failed_repeats))} of {repeats})" if repeats > 1 else ""
    lines = tidy(first.message).strip().splitlines() or ["failed"]
    if len(lines) > FAILURE_LINES:
        lines = lines[:FAILURE_LINES] + [f"... ({len(lines) - FAILURE_LINES} more lines)"]
    return f"{first.name}{where}\n" + "\n".join(lines)


def exercise_as_dict(result: ExerciseResult) -> dict[str, Any]:
    return {
        "id": result.exercise.id,
        "chapter": result.exercise.chapter,
        "title": result.exercise.title,
        "score": result.score,
        "max_score": result.max_score,
        "duration": round(result.duration, 3),
        "problem": result.problem,
        "repeats": result.repeats,
        "tasks": [
            {
                "id": task.task.id,
                "number": task.task.number,
                "title": task.task.title,
                "points": task.earned,
                "max_points": task.task.points,
                "passed": task.passed,
                "failure": "" if task.passed else first_failure(task, result.repeats),
                "tests": [{"id": t.id, "name": t.name, "repeat": t.repeat + 1, "passed": t.passed, "message": t.message,
                           "duration": round(t.duration, 4)} for t in task.tests],
            }
            for task in result.tasks
        ],
        "timeline": {"test": result.timeline_test, "spans": [list(span) for span in result.timeline]},
    }


def report_as_dict(report: Report) -> dict[str, Any]:
    return {
        "tree": report.tree,
        "score": report.score,
        "max_score": report.max_score,
        "final": report.final,
        "late": dataclasses.asdict(report.late),
        "duration": round(report.duration, 3),
        "error": report.error,
        "exercises": [exercise_as_dict(r) for r in report.results],
    }


def as_json(report: Report) -> str:
    return json.dumps(report_as_dict(report), indent=2)


def report_from_dict(data: dict[str, Any], catalogue: Catalogue) -> Report:
    """The `Report` that `report_as_dict` wrote (grade-all --only keeps the others' results).
    An exercise or task the catalogue no longer has is left out."""
    known = {exercise.id: exercise for exercise in catalogue.exercises}
    results = []
    for entry in data.get("exercises", []):
        exercise = known.get(entry["id"])
        if exercise is None:
            continue
        stored = {task["id"]: task for task in entry["tasks"]}
        tasks = [TaskResult(task, [TestResult(t.get("id", t["name"]), task.id, t["repeat"] - 1, t["passed"], t["message"],
                                              t.get("duration", 0.0))
                                   for t in stored.get(task.id, {}).get("tests", [])]) for task in exercise.tasks]
        timeline = entry.get("timeline") or {}
        results.append(ExerciseResult(exercise, tasks, duration=entry["duration"], problem=entry["problem"],
                                      repeats=entry["repeats"], timeline=[tuple(s) for s in timeline.get("spans", [])],
                                      timeline_test=timeline.get("test", "")))
    return Report(tree=data["tree"], results=results, duration=data.get("duration", 0.0), error=data.get("error", ""),
                  late=Lateness(**data.get("late", {})))


def as_gradescope(report: Report) -> str:
    """Gradescope's results.json: one test entry per task, all visible."""
    tests = []
    for index, result in enumerate(report.results, start=1):
        for task in result.tasks:
            output = "" if task.passed else first_failure(task, result.repeats)
            if result.problem and not task.passed:
                output = result.problem + "\n" + output
            tests.append({
                "name": f"{result.exercise.id}: {task.task.title}",
                "number": f"{index}.{task.task.number}",
                "score": task.earned,
                "max_score": task.task.points,
                "status": "passed" if task.passed else "failed",
                "output": output,
                "visibility": "visible",
            })
    summary = f"{report.score}/{report.max_score} points"
    return json.dumps(
        {
            "score": report.score,
            "max_score": report.max_score,
            "execution_time": round(report.duration, 2),
            "output": f"{report.error}\n{summary}" if report.error else summary,
            "visibility": "visible",
            "tests": tests,
        },
        indent=2,
    )


def print_text(report: Report, console: Console, *, verbose: bool = False) -> None:
    for result in report.results:
        print_exercise(result, console, verbose=verbose)
    if len(report.results) > 1:
        console.print(f"\n[bold]Total: {report.score}/{report.max_score} points[/] ({report.duration:.1f} s)")
    if report.error:
        console.print(f"[bold red]{escape(report.error)}[/]")


def print_exercise(result: ExerciseResult, console: Console, *, verbose: bool = False) -> None:
    mark = "[green]✓[/]" if result.complete else "[red]✗[/]"
    console.print(
        f"{mark} [bold]{result.exercise.id}[/] {escape(result.exercise.title)}: "
        f"{result.score}/{result.max_score} points ({result.duration:.1f} s)"
    )
    if result.problem:
        console.print(f"  [yellow]{escape(result.problem)}[/]")
    for task in result.tasks:
        tick = "[green]✓[/]" if task.passed else "[red]✗[/]"
        console.print(f"  {tick} task {task.task.number}: {escape(task.task.title)} ({task.earned}/{task.task.points})")
        if not task.passed:
            detail = first_failure(task, result.repeats)
            console.print("      " + escape(detail).replace("\n", "\n      "), style="dim" if not task.tests else None)
    if verbose and result.output.strip():
        console.print("  [dim]output of the run:[/]")
        console.print(escape(result.output), markup=False)


def _exercise_ids(reports: dict[str, Report]) -> list[str]:
    return list(dict.fromkeys(r.exercise.id for report in reports.values() for r in report.results))


def gradebook_csv(reports: dict[str, Report]) -> str:
    """The instructor's gradebook: one row per student, one column per exercise, the total,
    then when the work came in and the score after the late policy (`final`)."""
    exercise_ids = _exercise_ids(reports)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student", *exercise_ids, "total", "max_total", "error", "submitted", "days_late", "penalty", "final"])
    for student, report in sorted(reports.items()):
        scores = {r.exercise.id: r.score for r in report.results}
        writer.writerow([student, *(scores.get(e, 0) for e in exercise_ids), report.score, report.max_score, report.error,
                         report.late.submitted, report.late.days_late, f"{report.late.penalty:g}", f"{report.final:g}"])
    return buffer.getvalue()


def lms_csv(reports: dict[str, Report]) -> str:
    """What a learning management system imports: student, the total after the late
    policy, then the points of each exercise. Nothing else, so no column needs mapping."""
    exercise_ids = _exercise_ids(reports)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student", "total", *exercise_ids])
    for student, report in sorted(reports.items()):
        scores = {r.exercise.id: r.score for r in report.results}
        writer.writerow([student, f"{report.final:g}", *(scores.get(e, 0) for e in exercise_ids)])
    return buffer.getvalue()
