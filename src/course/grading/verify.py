"""`course verify`: prove every exercise is gradeable.

For each exercise: the reference solution earns full marks in every repeat,
the stub earns nothing, and every known-buggy variant in tests/buggy/ loses
each task it declares in LOSES, in every single repeat (a racy variant that
only sometimes fails means the tests are too weak to grade it).
"""

from __future__ import annotations

import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from course.catalogue import BuggyVariant, Catalogue, Exercise
from course.grading.engine import grade_exercise, stage_source
from course.grading.results import ExerciseResult


@dataclass
class Check:
    exercise: Exercise
    subject: str  # "solution", "stub" or a buggy variant's name
    ok: bool
    detail: str
    result: ExerciseResult


def _graded(catalogue: Catalogue, exercise: Exercise, source: str, repeats: int | None) -> ExerciseResult:
    with tempfile.TemporaryDirectory(prefix="course-verify-") as folder:
        return grade_exercise(catalogue, exercise, stage_source(exercise, source, Path(folder)), repeats=repeats)


def _source(catalogue: Catalogue, tree: str, exercise: Exercise) -> str:
    return (catalogue.tree(tree) / exercise.relpath()).read_text(encoding="utf-8")


def _why(result: ExerciseResult) -> str:
    failing = [t for t in result.tasks if not t.passed]
    parts = [result.problem] if result.problem else []
    for task in failing[:2]:
        first = task.failures[0] if task.failures else None
        parts.append(f"task {task.task.id}: " + (first.message.splitlines()[0] if first and first.message else "no test ran"))
    return "; ".join(parts)


def check_solution(catalogue: Catalogue, exercise: Exercise, repeats: int | None) -> Check:
    result = _graded(catalogue, exercise, _source(catalogue, "solutions", exercise), repeats)
    untested = [t.task.id for t in result.tasks if not t.tests]
    ok = result.complete and not untested
    detail = f"{result.score}/{result.max_score}" + (f", tasks without tests: {untested}" if untested else "")
    return Check(exercise, "solution", ok, detail if ok else f"{detail}: {_why(result)}", result)


def check_stub(catalogue: Catalogue, exercise: Exercise, repeats: int | None) -> Check:
    result = _graded(catalogue, exercise, _source(catalogue, "exercises", exercise), repeats)
    kept = [t.task.id for t in result.tasks if t.earned]
    return Check(exercise, "stub", not kept, f"{result.score}/{result.max_score}" + (f", earns tasks {kept}" if kept else ""), result)


def check_buggy(catalogue: Catalogue, variant: BuggyVariant, repeats: int | None) -> Check:
    result = _graded(catalogue, variant.exercise, variant.source(catalogue.tree("solutions")), repeats)
    kept = [
        task.task.id
        for task in result.tasks
        if task.task.id in variant.loses and not task.failed_in_every_repeat(result.repeats)
    ]
    detail = f"{result.score}/{result.max_score}, must lose tasks {list(variant.loses)}"
    if kept:
        detail += f": task(s) {kept} passed in at least one repeat"
    return Check(variant.exercise, variant.name, not kept, detail, result)


def shares_one_sandbox_user() -> bool:
    """Without namespaces every run is the one sandbox user, and a run's clean-up takes
    all of that user's processes and files: such runs must not overlap."""
    from course.grading.sandbox import available_tools

    tools = available_tools()
    return not tools.namespaces and tools.sandbox_user is not None


def verify(catalogue: Catalogue, exercises: list[Exercise], *, repeats: int | None = None,
           on_check: Callable[[Check], None] | None = None, jobs: int = 1) -> list[Check]:
    """Every check of every exercise; `jobs` checks run at once, each in its own sandboxed
    run (the threads here only wait for them). Checks are reported as they finish and
    returned in a stable order: exercise by exercise, solution, stub, then variants."""
    planned: list[Callable[[], Check]] = []
    for exercise in exercises:
        planned += [lambda e=exercise: check_solution(catalogue, e, repeats),
                    lambda e=exercise: check_stub(catalogue, e, repeats)]
        variants = catalogue.buggy_variants(exercise)
        planned += [lambda v=v: check_buggy(catalogue, v, repeats) for v in variants]
        if not variants:
            missing = Check(exercise, "buggy variants", False, f"none in tests/buggy/{exercise.chapter}/{exercise.module}__*.py", None)
            planned.append(lambda missing=missing: missing)
    if jobs > 1 and shares_one_sandbox_user():
        jobs = 1  # runs of one shared user would clean up (kill, delete) each other's work
    lock = threading.Lock()

    def run(job: Callable[[], Check]) -> Check:
        check = job()
        if on_check:
            with lock:
                on_check(check)
        return check

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(run, planned))
