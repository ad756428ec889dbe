"""The grading result model: tests, tasks, exercises and a whole report.

Plain dataclasses with no dependency on the sandbox or pytest, so a report can
be rendered, stored or compared (course.grading.report, course.learner) without
importing the machinery that produced it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from course.catalogue import Exercise, Task


@dataclass
class TestResult:
    id: str
    task: str | None
    repeat: int
    passed: bool
    message: str = ""
    duration: float = 0.0  # as the run measured it: for the class report, never for a score

    @property
    def name(self) -> str:
        return self.id.split("::", 1)[-1]


@dataclass
class TaskResult:
    task: Task
    tests: list[TestResult]

    @property
    def passed(self) -> bool:
        return bool(self.tests) and all(test.passed for test in self.tests)

    @property
    def earned(self) -> int:
        return self.task.points if self.passed else 0

    def failed_in_every_repeat(self, repeats: int) -> bool:
        """True when each repeat on its own had a failing test of this task."""
        return all(any(not t.passed for t in self.tests if t.repeat == r) for r in range(repeats))

    @property
    def failures(self) -> list[TestResult]:
        return [test for test in self.tests if not test.passed]


@dataclass
class ExerciseResult:
    exercise: Exercise
    tasks: list[TaskResult]
    duration: float = 0.0
    problem: str = ""  # why the run did not finish normally, in plain words
    output: str = ""
    repeats: int = 1
    # (thread, what it ran or "waits: ...", start, end) of one test, for feedback only
    timeline: list[tuple[str, str, float, float]] = field(default_factory=list)
    timeline_test: str = ""

    @property
    def score(self) -> int:
        return sum(task.earned for task in self.tasks)

    @property
    def max_score(self) -> int:
        return self.exercise.max_points

    @property
    def complete(self) -> bool:
        return self.score == self.max_score


@dataclass
class Lateness:
    """When a submission came in against the deadline, and what the late policy takes off."""

    submitted: str = ""  # ISO 8601, or "" when no time is known
    days_late: int = 0  # days or parts of a day after the deadline
    penalty: float = 0.0  # the fraction of the score taken off, 0..1
    note: str = ""  # where the time came from, or why none is known


@dataclass
class Report:
    tree: str
    results: list[ExerciseResult] = field(default_factory=list)
    duration: float = 0.0
    error: str = ""  # set when grading itself failed; results may then be partial
    late: Lateness = field(default_factory=Lateness)

    @property
    def final(self) -> float:
        """The score after the late policy's penalty, to two decimals."""
        return round(self.score * (1 - self.late.penalty), 2)

    @property
    def score(self) -> int:
        return sum(result.score for result in self.results)

    @property
    def max_score(self) -> int:
        return sum(result.max_score for result in self.results)
