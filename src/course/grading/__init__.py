"""Grading: stage a learner's tree, run each exercise's tests confined, score, report.

- `engine`   staging and one confined run per exercise (`grade`, `grade_exercise`, `stage`)
- `results`  the result model (TestResult, TaskResult, ExerciseResult, Report), free of the sandbox
- `report`   text, JSON, Gradescope, gradebook and LMS renderings of a `Report`
- `classroom` grade-all's late policy, similarity between submissions and class report
- `feedback` a student's feedback page (Markdown, HTML) with their run's timeline
- `timeline` the sampler that records who ran what and who waited, inside a run, for feedback
- `verify`   proves every exercise gradeable (solution full marks, stub zero, buggy variants lose)
- `mutate`   mutants of the solutions the graded tests must kill
- `commands` the `course grade`, `grade-all` and `verify` commands
- `sandbox`, `lockdown`, `child`, `channel`, `tamper`   the confined run and its signed result channel

The names below are the package's public API; import the engine lazily
through them so `course.grading.results` alone stays cheap.
"""

from __future__ import annotations

from course.grading.results import ExerciseResult, Report, TaskResult, TestResult

__all__ = ["ExerciseResult", "Report", "TaskResult", "TestResult", "grade", "grade_exercise", "stage"]


def __getattr__(name: str):
    """`grade`, `grade_exercise` and `stage` come from the engine, imported on first use."""
    if name in ("grade", "grade_exercise", "stage"):
        from course.grading import engine

        return getattr(engine, name)
    raise AttributeError(f"module 'course.grading' has no attribute {name!r}")
