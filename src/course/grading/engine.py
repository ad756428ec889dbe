"""Grade exercises: one confined run per exercise, scores from signed records only.

A task earns its points only when every one of its tests passed in every
repeat. Anything that stops a run early (a crash, a time limit, a fork bomb,
`os._exit` at import) leaves tests without a result, and a test without a
result has failed; the other exercises are graded as usual.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

import course
from course.catalogue import Catalogue, CatalogueError, Exercise
from course.grading.channel import checked_records, undumpable
from course.grading.results import ExerciseResult, Report, TaskResult, TestResult
from course.grading.sandbox import ConfinedRun, Limits, Place, remove_tree, stall_message

if TYPE_CHECKING:
    from course.grading.classroom import ClassOptions

PASSED_THROUGH_ENV = ("PATH", "LANG", "LC_ALL", "TZ")
MAX_SOURCE_BYTES = 2 * 2**20  # a student's file; the grader compiles it once to report syntax errors


def locate_module(tree: Path, exercise: Exercise) -> Path | None:
    """A student's file: at CHAPTER/MODULE.py as in exercises/, flat at MODULE.py, or at
    exercises/CHAPTER/MODULE.py in a clone of the student's repository."""
    candidates = (tree / exercise.relpath(), tree / f"{exercise.module}.py", tree / "exercises" / exercise.relpath())
    for candidate in candidates:
        if candidate.is_file() and not _through_a_link(tree, candidate):
            return candidate
    return None


def _through_a_link(tree: Path, path: Path) -> bool:
    """A symbolic link below the tree could point at another student's file, or a solution."""
    while path != tree and path != path.parent:
        if path.is_symlink():
            return True
        path = path.parent
    return False


def stage(tree: Path, exercises: Iterable[Exercise], into: Path) -> Path:
    """Copy each exercise's file into a fresh tree with the canonical layout."""
    staged = _fresh_tree(into)
    for exercise in exercises:
        source = locate_module(tree, exercise)
        if source is not None:
            shutil.copyfile(source, _place(staged, exercise))
    return staged


def stage_source(exercise: Exercise, source: str, into: Path) -> Path:
    """A fresh tree holding `source` as the exercise's file (verify's solutions, stubs and buggy variants)."""
    staged = _fresh_tree(into)
    _place(staged, exercise).write_text(source, encoding="utf-8")
    return staged


def _fresh_tree(into: Path) -> Path:
    staged = into / "tree"
    staged.mkdir(parents=True, exist_ok=True)
    os.chmod(into, 0o755)  # readable by the sandbox user, if one is configured
    (staged / "__init__.py").touch()
    return staged


def _place(staged: Path, exercise: Exercise) -> Path:
    """Where the exercise's file goes in a staged tree; its chapter folder made a package."""
    target = staged / exercise.relpath()
    target.parent.mkdir(exist_ok=True)
    (target.parent / "__init__.py").touch()
    return target


def _syntax_problem(path: Path) -> str:
    """Compile (never run) the student's file, so a syntax error reads as one."""
    try:
        compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except SyntaxError as error:
        return f"SyntaxError in {path.name} line {error.lineno}: {error.msg}"
    except (ValueError, RecursionError, MemoryError) as error:
        return f"{path.name} cannot be compiled: {type(error).__name__}: {error}"
    return ""


def grade_exercise(catalogue: Catalogue, exercise: Exercise, staged_tree: Path, *, repeats: int | None = None,
                   limits: Limits | None = None, source_name: str = "", protect: tuple[Path, ...] = (),
                   timeline: bool = False) -> ExerciseResult:
    """Run one exercise's tests confined; `protect` adds folders the run must not change;
    `timeline` records who ran what in one test (course.grading.timeline), for feedback."""
    repeats = repeats or exercise.repeats
    empty = [TaskResult(task, []) for task in exercise.tasks]
    module_file = staged_tree / exercise.relpath()
    if not module_file.is_file():
        return ExerciseResult(exercise, empty, problem=f"no file for this exercise: expected {source_name or exercise.relpath()}", repeats=repeats)
    if module_file.stat().st_size > MAX_SOURCE_BYTES:
        return ExerciseResult(exercise, empty, problem=f"{source_name or exercise.relpath()} is larger than "
                                                       f"{MAX_SOURCE_BYTES // 2**20} MiB: not graded", repeats=repeats)
    if problem := _syntax_problem(module_file):
        return ExerciseResult(exercise, empty, problem=problem, repeats=repeats)

    limits = limits or Limits(wall_clock=exercise.timeout, stall=stall_limit(exercise))
    try:
        records, outcome = _run_until_judged(catalogue, exercise, module_file, repeats, limits, protect, timeline)
    except Exception as error:  # the grader's own failure costs this exercise only, and says so
        return ExerciseResult(exercise, empty, problem=f"The grader failed on this exercise (not your code): "
                                                       f"{type(error).__name__}: {error}", repeats=repeats)
    return _score(exercise, records, outcome, repeats)


MAX_RESUMES = 6  # fresh runs after hung tests, per exercise


def stall_limit(exercise: Exercise) -> float:
    """How long a run may report nothing before it counts as hung: one test's own timeout,
    plus room for its teardown and the leak check after it."""
    return exercise.test_timeout * 1.5 + 10


def _run_until_judged(catalogue: Catalogue, exercise: Exercise, module_file: Path, repeats: int, limits: Limits,
                      protect: tuple[Path, ...], timeline: bool = False) -> tuple[list[dict], object]:
    """Run the exercise; when a test hangs (its run reports nothing for `limits.stall`), that
    test fails and the tests after it run in a fresh run, so one hang costs one test, not
    the exercise. The wall clock still bounds every run, and all of them together."""
    records: list[dict] = []
    judged: list[str] = []
    total_deadline = time.monotonic() + 2 * limits.wall_clock
    for _ in range(MAX_RESUMES + 1):
        outcome, key = _run(catalogue, exercise, module_file, repeats, limits, protect, skip=judged, timeline=timeline)
        run_records = checked_records(key, outcome.result_data)
        if not records:
            records = run_records
        else:  # the first run's `collected` lists every test; later runs add verdicts
            records += [r for r in run_records if r["type"] not in ("collected", "started")]
        unjudged = _unjudged(records, judged)
        if not limits.stall or outcome.stopped_because != stall_message(limits.stall) or not unjudged or stop_at_first_failure():
            break
        hung = unjudged[0]
        records.append({"type": "result", "id": hung, "passed": False, "message": (
            f"This test hung: {outcome.stopped_because}. The run was stopped and the tests after it ran in a fresh run. "
            f"Every thread's stack when it was stopped:\n{outcome.output[-3000:]}")})
        judged = [r["id"] for r in records if r["type"] == "result"]
        remaining = total_deadline - time.monotonic()
        if remaining < limits.stall:
            break
        limits = dataclasses.replace(limits, wall_clock=min(limits.wall_clock, remaining))
    return records, outcome


def stop_at_first_failure() -> bool:
    """`course mutate` wants a verdict, not every test: one hung test already kills a mutant."""
    return os.environ.get("COURSE_STOP_AT_FIRST_FAILURE") == "1"


def _unjudged(records: list[dict], judged: list[str]) -> list[str]:
    collected = next((r["tests"] for r in records if r["type"] == "collected"), [])
    verdicts = {r["id"] for r in records if r["type"] == "result"} | set(judged)
    return [entry["id"] for entry in collected if entry["id"] not in verdicts]


def hidden_from_students(catalogue: Catalogue) -> tuple[Path, ...]:
    """What student code must never read: reference solutions, known-wrong variants, history."""
    return tuple(catalogue.root / name for name in ("solutions", "tests/buggy", ".git"))


def _run(catalogue: Catalogue, exercise: Exercise, module_file: Path, repeats: int, limits: Limits,
         protect: tuple[Path, ...], skip: list[str] = (), timeline: bool = False):
    """One confined run of one exercise, on a private copy of that exercise's file only:
    no other exercise or student shares the tree the run sees."""
    undumpable()  # an ordinary user's grader: the run's processes share its uid
    key = secrets.token_bytes(32)
    private = Path(tempfile.mkdtemp(prefix="course-run-"))
    try:
        os.chmod(private, 0o711)  # a sandbox user (no namespaces) may enter, not list
        tree = private / "tree"
        (tree / exercise.chapter).mkdir(parents=True)
        for package in (tree, tree / exercise.chapter):
            (package / "__init__.py").touch()
        shutil.copyfile(module_file, tree / exercise.relpath())
        for path in (tree, tree / exercise.chapter):
            os.chmod(path, 0o755)
        (private / "run").mkdir()
        env = {name: os.environ[name] for name in PASSED_THROUGH_ENV if name in os.environ}
        env |= {k: v for k, v in os.environ.items() if k.startswith("COURSE_") and k != "COURSE_TREE"}
        env |= {"COURSE_ROOT": str(catalogue.root), "MALLOC_ARENA_MAX": "2", "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONUNBUFFERED": "1"}

        def command(place: Place) -> list[str]:
            return [
                sys.executable, "-I", "-m", "course.grading.child",
                "--result-fd", str(place.result_fd),
                "--test-file", str(catalogue.test_file(exercise)),
                "--tree", str(place.tree),
                "--root", str(catalogue.root),
                "--repeats", str(repeats),
                "--test-timeout", f"{exercise.test_timeout:g}",
                "--budget", f"{limits.wall_clock:g}",
                *(f"--rlimit={limit}" for limit in place.rlimits),
                *(f"--skip={node_id}" for node_id in skip),
                *(["--timeline"] if timeline else []),
            ]

        need = (catalogue.root, Path(sys.prefix), Path(sys.base_prefix), Path(course.__file__).resolve().parent.parent)
        run = ConfinedRun(command, env=env, workdir=private / "run", limits=limits, stdin_data=key.hex().encode() + b"\n",
                          tree=tree, hide=(*hidden_from_students(catalogue), *protect), need=need)
        return run.run(), key
    finally:
        remove_tree(private)  # whatever the run left there (3000 nested folders too); never raises


def _ended_early(outcome) -> str:
    """Why a run that started its tests never finished them. An exit status is the code under
    test calling exit; a signal is a crash, which may be the interpreter's own, so it names the
    signal and shows the end of the run's output (faulthandler's stacks of the crash)."""
    if outcome.exit_code is None or outcome.exit_code >= 0:
        return f"The run ended before its tests finished (exit status {outcome.exit_code}): the code under test ended the process."
    try:
        name = signal.Signals(-outcome.exit_code).name
    except ValueError:
        name = f"signal {-outcome.exit_code}"
    return (f"The run ended before its tests finished: its process was killed by {name}, a crash of the interpreter "
            f"running the tests (your code may have caused it, or the interpreter failed on its own: grade it again "
            f"to tell). {_crash_site(outcome.output)}")


def _crash_site(output: str, frames: int = 8) -> str:
    """The innermost frames of the thread that crashed, from faulthandler's report in the
    run's output (pytest turns it on); the end of the output when there is none."""
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("Current thread ")), None)
    if start is None:
        return f"The end of its output:\n{output[-1500:]}"
    stack = [line for line in lines[start + 1:start + 1 + frames] if line.startswith("  ")]
    return "Where it crashed (innermost call first):\n" + "\n".join(stack)


def _score(exercise: Exercise, records: list[dict], outcome, repeats: int) -> ExerciseResult:
    collected = next((r["tests"] for r in records if r["type"] == "collected"), [])
    results: dict[str, dict] = {}
    for record in (r for r in records if r["type"] == "result"):
        if record["id"] in results:  # one verdict per test: a second one means someone else signed
            record = dict(record, passed=False, message="two verdicts were sent for this test; neither counts")
        results[record["id"]] = record
    finished = any(r["type"] == "done" for r in records)
    collect_errors = [r["message"] for r in records if r["type"] == "collect-error"]
    problem = ""
    if outcome.grader_failed or not any(r["type"] == "started" for r in records):
        problem = (f"The grader could not start this exercise's run (exit status {outcome.exit_code}); this is a "
                   f"problem of the grader, not of your code. Its output:\n{outcome.output[-2000:]}")
    elif outcome.stopped_because:
        problem = f"The run was stopped: {outcome.stopped_because}."
    elif not finished:
        problem = _ended_early(outcome)
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
            duration=results.get(entry["id"], {}).get("duration", 0.0),
        )
        for entry in collected
    ]
    tasks = [TaskResult(task, [t for t in tests if t.task == task.id]) for task in exercise.tasks]
    # Feedback only: a timeline is drawn for the learner, never read for a score. A failing test's first.
    timelines = sorted((r for r in records if r["type"] == "timeline"), key=lambda r: r["passed"])
    return ExerciseResult(exercise, tasks, duration=outcome.duration, problem=problem, output=outcome.output, repeats=repeats,
                          timeline=[tuple(span) for span in timelines[0]["spans"]] if timelines else [],
                          timeline_test=timelines[0]["id"] if timelines else "")


def grade(catalogue: Catalogue, exercises: list[Exercise], tree: Path, *, repeats: int | None = None,
          on_result: Callable[[ExerciseResult], None] | None = None, on_start: Callable[[Exercise], None] | None = None,
          tree_label: str = "", protect: tuple[Path, ...] = (), timeline: bool = False) -> Report:
    """Grade `exercises` from `tree`. Each exercise is graded inside its own failure
    boundary: a failure of the grader costs that exercise only, with a message saying so."""
    started = time.monotonic()
    report = Report(tree=tree_label or str(tree))
    for exercise in exercises:
        if on_start:
            on_start(exercise)
        result = _grade_one(catalogue, exercise, tree, repeats, (tree, *protect), timeline)
        report.results.append(result)
        if on_result:
            on_result(result)
    report.duration = time.monotonic() - started
    return report


def _grade_one(catalogue: Catalogue, exercise: Exercise, tree: Path, repeats: int | None,
               protect: tuple[Path, ...], timeline: bool = False) -> ExerciseResult:
    staging = None
    try:
        staging = Path(tempfile.mkdtemp(prefix="course-stage-"))
        staged = stage(tree, [exercise], staging)
        return grade_exercise(catalogue, exercise, staged, repeats=repeats, source_name=str(tree / exercise.relpath()),
                              protect=protect, timeline=timeline)
    except Exception as error:
        empty = [TaskResult(task, []) for task in exercise.tasks]
        return ExerciseResult(exercise, empty, problem=f"The grader failed on this exercise (not your code): "
                                                       f"{type(error).__name__}: {error}", repeats=repeats or exercise.repeats)
    finally:
        if staging is not None:
            remove_tree(staging)


def grade_class(catalogue: Catalogue, exercises: list[Exercise], submissions: Path, output: Path,
                render: Callable[[Report], str], *, repeats: int | None = None,
                on_graded: Callable[[str, Report], None] | None = None, on_start: Callable[[str], None] | None = None,
                options: ClassOptions | None = None) -> dict[str, Report]:
    """Grade every student folder in `submissions` (`course grade-all`).

    Each student's report (OUTPUT/STUDENT.json) and, with `options.feedback`, their
    feedback files (OUTPUT/feedback/) are written as soon as that student is graded;
    gradebook.csv, lms.csv and results.json (a score and a message for every student,
    and each whole report, which `options.only` reads back to keep the others' results),
    then the class report, are written at the end whatever happened, a crash of the
    grader included. A student "folder" that is a symbolic link is not graded: it could
    point at another student's work. Student code never sees `submissions` or `output`.
    """
    from course.grading.classroom import ClassOptions, finish_class, load_previous, student_extras

    options = options or ClassOptions()
    output.mkdir(parents=True, exist_ok=True)
    students = sorted(p for p in submissions.iterdir() if not p.name.startswith(".") and (p.is_dir() or p.is_symlink()))
    unknown = sorted(set(options.only) - {s.name for s in students})
    if unknown:
        raise CatalogueError(f"--only: no student folder named {', '.join(unknown)} in {submissions}")
    previous = load_previous(output, catalogue) if options.only else {}
    reports: dict[str, Report] = {}
    try:
        for student in students:
            if options.only and student.name not in options.only:
                continue
            if on_start:
                on_start(student.name)
            if student.is_symlink():
                report = Report(tree=str(student), error="a symbolic link, not a folder of its own: not graded")
            else:
                try:
                    report = grade(catalogue, exercises, student, repeats=repeats, tree_label=str(student),
                                   protect=(submissions.resolve(), output.resolve()), timeline=options.feedback)
                except Exception as error:  # grade() has its own boundaries; this is the last one
                    report = Report(tree=str(student), error=f"the grader failed: {type(error).__name__}: {error}")
            reports[student.name] = report
            student_extras(options, output, student, report)
            _write(output / f"{student.name}.json", lambda: render(report))
            if on_graded:
                on_graded(student.name, report)
    finally:
        for student in (s for s in students if s.name not in reports):
            kept = student.name not in options.only and previous.get(student.name)
            reports[student.name] = kept or Report(tree=str(student), error=(
                "not graded: the grader stopped before this student" if not options.only or student.name in options.only
                else "not graded: --only regraded others and results.json holds no earlier result of this student"))
        finish_class(options, catalogue, exercises, students, output, reports, _write)
    return reports


def _write(path: Path, text: Callable[[], str]) -> None:
    """Write what `text()` gives; if making it fails, say so in the file. Never raises."""
    try:
        content = text()
    except Exception as error:
        content = json.dumps({"error": f"the grader could not write this: {type(error).__name__}: {error}"})
    try:
        path.write_text(content)
    except OSError:
        pass
