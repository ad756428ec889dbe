"""Grade exercises: one confined run per exercise, scores from signed records only.

A task earns its points only when every one of its tests passed in every
repeat. Anything that stops a run early (a crash, a time limit, a fork bomb,
`os._exit` at import) leaves tests without a result, and a test without a
result has failed; the other exercises are graded as usual.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterable

from course.catalogue import Catalogue, Exercise
from course.grading.channel import verified_records
from course.grading.results import ExerciseResult, Report, TaskResult, TestResult
from course.grading.sandbox import ConfinedRun, Limits

PASSED_THROUGH_ENV = ("PATH", "LANG", "LC_ALL", "TZ")


def locate_module(tree: Path, exercise: Exercise) -> Path | None:
    """A student's file: at CHAPTER/MODULE.py as in exercises/, or flat at MODULE.py."""
    for candidate in (tree / exercise.relpath(), tree / f"{exercise.module}.py"):
        if candidate.is_file():
            return candidate
    return None


def stage(tree: Path, exercises: Iterable[Exercise], into: Path) -> Path:
    """Copy each exercise's file into a fresh tree with the canonical layout."""
    staged = into / "tree"
    staged.mkdir(parents=True, exist_ok=True)
    os.chmod(into, 0o755)  # readable by the sandbox user, if one is configured
    (staged / "__init__.py").touch()
    for exercise in exercises:
        source = locate_module(tree, exercise)
        if source is not None:
            target = staged / exercise.relpath()
            target.parent.mkdir(exist_ok=True)
            (target.parent / "__init__.py").touch()
            shutil.copyfile(source, target)
    return staged


def _syntax_problem(path: Path) -> str:
    """Compile (never run) the student's file, so a syntax error reads as one."""
    try:
        compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except SyntaxError as error:
        return f"SyntaxError in {path.name} line {error.lineno}: {error.msg}"
    except ValueError as error:
        return f"{path.name} cannot be compiled: {error}"
    return ""


def grade_exercise(catalogue: Catalogue, exercise: Exercise, staged_tree: Path, *, repeats: int | None = None,
                   limits: Limits | None = None, source_name: str = "", protect: tuple[Path, ...] = ()) -> ExerciseResult:
    """Run one exercise's tests confined; `protect` adds folders the run must not change."""
    repeats = repeats or exercise.repeats
    empty = [TaskResult(task, []) for task in exercise.tasks]
    module_file = staged_tree / exercise.relpath()
    if not module_file.is_file():
        return ExerciseResult(exercise, empty, problem=f"no file for this exercise: expected {source_name or exercise.relpath()}", repeats=repeats)
    if problem := _syntax_problem(module_file):
        return ExerciseResult(exercise, empty, problem=problem, repeats=repeats)

    key = secrets.token_bytes(32)
    limits = limits or Limits(wall_clock=exercise.timeout)
    with tempfile.TemporaryDirectory(prefix="course-run-") as workdir:
        env = {name: os.environ[name] for name in PASSED_THROUGH_ENV if name in os.environ}
        env |= {k: v for k, v in os.environ.items() if k.startswith("COURSE_") and k != "COURSE_TREE"}
        env |= {"HOME": workdir, "TMPDIR": workdir, "COURSE_ROOT": str(catalogue.root), "MALLOC_ARENA_MAX": "2",
                "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"}
        os.chmod(workdir, 0o777)
        argv = [
            sys.executable, "-I", "-m", "course.grading.child",
            "--result-fd", "{result_fd}",
            "--test-file", str(catalogue.test_file(exercise)),
            "--tree", str(staged_tree),
            "--root", str(catalogue.root),
            "--repeats", str(repeats),
            "--test-timeout", f"{exercise.test_timeout:g}",
        ]
        read_only = (catalogue.root, Path(sys.prefix), Path(sys.base_prefix), *protect)
        outcome = ConfinedRun(argv, env=env, cwd=Path(workdir), limits=limits, stdin_data=key.hex().encode() + b"\n",
                              read_only=read_only).run()
    return _score(exercise, list(verified_records(key, outcome.result_data)), outcome, repeats)


def _score(exercise: Exercise, records: list[dict], outcome, repeats: int) -> ExerciseResult:
    collected = next((r["tests"] for r in records if r.get("type") == "collected"), [])
    results = {r["id"]: r for r in records if r.get("type") == "result"}
    finished = any(r.get("type") == "done" for r in records)
    collect_errors = [r["message"] for r in records if r.get("type") == "collect-error"]
    problem = ""
    if outcome.stopped_because:
        problem = f"The run was stopped: {outcome.stopped_because}."
    elif not finished:
        problem = f"The run ended before its tests finished (exit status {outcome.exit_code}): the code under test ended the process."
    if collect_errors:
        problem = (problem + "\n" if problem else "") + "The graded tests could not be collected:\n" + collect_errors[0]
    unfinished = "no result: " + (problem.splitlines()[0] if problem else "the test did not report")
    tests = [
        TestResult(
            id=entry["id"],
            task=entry["task"],
            repeat=entry["repeat"],
            passed=bool(results.get(entry["id"], {}).get("passed")),
            message=results[entry["id"]]["message"] if entry["id"] in results else unfinished,
        )
        for entry in collected
    ]
    tasks = [TaskResult(task, [t for t in tests if t.task == task.id]) for task in exercise.tasks]
    return ExerciseResult(exercise, tasks, duration=outcome.duration, problem=problem, output=outcome.output, repeats=repeats)


def grade(catalogue: Catalogue, exercises: list[Exercise], tree: Path, *, repeats: int | None = None,
          on_result: Callable[[ExerciseResult], None] | None = None, on_start: Callable[[Exercise], None] | None = None,
          tree_label: str = "", protect: tuple[Path, ...] = ()) -> Report:
    """Grade `exercises` from `tree`; a failure of the grader itself is recorded, not raised."""
    started = time.monotonic()
    report = Report(tree=tree_label or str(tree))
    try:
        with tempfile.TemporaryDirectory(prefix="course-stage-") as staging:
            staged = stage(tree, exercises, Path(staging))
            for exercise in exercises:
                if on_start:
                    on_start(exercise)
                result = grade_exercise(catalogue, exercise, staged, repeats=repeats,
                                        source_name=str(tree / exercise.relpath()), protect=(tree, *protect))
                report.results.append(result)
                if on_result:
                    on_result(result)
    except Exception as error:  # the report must still be written (Gradescope shows it)
        report.error = f"the grader failed: {type(error).__name__}: {error}"
    report.duration = time.monotonic() - started
    return report
