"""`course mutate ID`: mutation testing of an exercise's graded tests.

Each mutant is the reference solution with one change (course.grading.mutation.operators
says which, and why the engine is our own on `ast`). It is written to a private
tree and graded by the same grader a student gets: the same sandbox, repeats and
task scoring. A mutant is killed when it loses points. A surviving mutant is a
missing test, unless the exercise's survivors file accepts it with a reason
(course.grading.mutation.survivors); any other survivor makes the command exit 1.

Score = killed / (mutants - accepted survivors).

The reference is graded first, in full: if it loses points no verdict means
anything. A mutant's run stops at its first failed test (one lost point kills
it), so killed mutants cost seconds; survivors cost a full graded run.

`--jobs` grades that many mutants at once. The default is one per two cores
(so 1 on a 2-core machine): the graded concurrency tests are timing-sensitive
(provoked races, overlap, timeouts) and each confined run may itself use two
or more threads or processes; two runs sharing a core make slow runs and flaky
verdicts, which is worse than a slow mutation run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from course.catalogue import Catalogue, Exercise
from course.grading.mutation.operators import CONCURRENCY_OPERATORS, OPERATORS, Mutant, mutants
from course.grading.mutation.survivors import Survivor, SurvivorsError, load, match, survivors_file
from course.grading.results import ExerciseResult

KILLED, SURVIVED, ACCEPTED = "killed", "survived", "accepted"


def default_jobs() -> int:
    return max(1, (os.cpu_count() or 1) // 2)


@dataclass
class MutantResult:
    mutant: Mutant
    verdict: str
    seconds: float
    lost: list[str] = field(default_factory=list)  # ids of the tasks that lost points
    problem: str = ""
    reason: str = ""  # why an accepted survivor is accepted

    def as_dict(self) -> dict:
        m = self.mutant
        return {"operator": m.operator, "line": m.line, "original": m.original, "mutated": m.mutated,
                "verdict": self.verdict, "seconds": round(self.seconds, 2), "lost_tasks": self.lost,
                "problem": self.problem, "reason": self.reason}


@dataclass
class ExerciseMutation:
    exercise: Exercise
    survivors_path: Path
    results: list[MutantResult] = field(default_factory=list)
    stale: list[Survivor] = field(default_factory=list)  # accepted entries that matched no survivor
    error: str = ""  # the reference itself did not earn full marks: no verdict is meaningful

    def count(self, verdict: str) -> int:
        return sum(r.verdict == verdict for r in self.results)

    @property
    def score(self) -> float | None:
        judged = len(self.results) - self.count(ACCEPTED)
        return self.count(KILLED) / judged if judged else None

    @property
    def passed(self) -> bool:
        return not self.error and self.count(SURVIVED) == 0

    def as_dict(self) -> dict:
        return {"exercise": self.exercise.id, "score": self.score, "passed": self.passed, "error": self.error,
                "mutants": len(self.results), "killed": self.count(KILLED), "survived": self.count(SURVIVED),
                "accepted": self.count(ACCEPTED), "survivors_file": str(self.survivors_path),
                "stale_survivor_entries": [vars(s) for s in self.stale],
                "results": [r.as_dict() for r in self.results]}


@contextlib.contextmanager
def stopping_at_first_failure():
    """Runs started meanwhile stop at their first failed test (course.grading.pacing reads
    the variable; the grader passes COURSE_ variables into the sandbox): one lost point
    kills a mutant, and a killed mutant need not sit through the rest."""
    name, before = "COURSE_STOP_AT_FIRST_FAILURE", os.environ.get("COURSE_STOP_AT_FIRST_FAILURE")
    os.environ[name] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def grade_source(catalogue: Catalogue, exercise: Exercise, source: str) -> ExerciseResult:
    """Grade `source` as the exercise's module, from a private tree, with the normal grader.

    Inside `stopping_at_first_failure()` the run stops at its first failed test.
    """
    from course.grading import grade_exercise, stage

    with tempfile.TemporaryDirectory(prefix="course-mutant-") as private:
        tree = Path(private) / "src"
        module = tree / exercise.relpath()
        module.parent.mkdir(parents=True)
        module.write_text(source)
        staged = stage(tree, [exercise], Path(private) / "stage")
        return grade_exercise(catalogue, exercise, staged, source_name=f"mutant of {exercise.relpath()}")


def _judge(catalogue: Catalogue, exercise: Exercise, mutant: Mutant) -> MutantResult:
    started = time.monotonic()
    result = grade_source(catalogue, exercise, mutant.source)
    # the tasks whose tests failed, not those left without a result by the early stop
    lost = [t.task.id for t in result.tasks if any(not f.message.startswith("no result") for f in t.failures)]
    lost = lost or [t.task.id for t in result.tasks if not t.passed]
    verdict = KILLED if result.score < result.max_score else SURVIVED
    return MutantResult(mutant, verdict, time.monotonic() - started, lost, result.problem.splitlines()[0] if result.problem else "")


def select(all_mutants: list[Mutant], sample: int | None, seed: int) -> list[Mutant]:
    """`sample` mutants drawn reproducibly by `seed`, kept in source order (all without a sample)."""
    if not sample or sample >= len(all_mutants):
        return all_mutants
    chosen = set(random.Random(seed).sample(range(len(all_mutants)), sample))
    return [m for i, m in enumerate(all_mutants) if i in chosen]


def mutate_exercise(catalogue: Catalogue, exercise: Exercise, *, operators: list[str] | None = None,
                    sample: int | None = None, seed: int = 0, jobs: int = 1,
                    survivors_path: Path | None = None, source: str | None = None,
                    on_total: Callable[[int], None] | None = None,
                    on_result: Callable[[MutantResult], None] | None = None) -> ExerciseMutation:
    """Make, grade and judge the exercise's mutants; raises SurvivorsError for a bad survivors file.

    `survivors_path` and `source` replace the exercise's survivors file and its reference solution.
    """
    path = survivors_path or survivors_file(catalogue.test_file(exercise))
    accepted = load(path)  # a malformed file stops us before minutes of grading
    report = ExerciseMutation(exercise, path)
    source = source if source is not None else (catalogue.tree("solutions") / exercise.relpath()).read_text()
    chosen = select(mutants(source, operators), sample, seed)
    if on_total:
        on_total(len(chosen) + 1)
    baseline = grade_source(catalogue, exercise, source)  # in full: its failures are worth reading
    if on_result:
        on_result(None)
    if not baseline.complete:
        lost = [t.task.id for t in baseline.tasks if not t.passed]
        report.error = (f"the reference solution itself scored {baseline.score}/{baseline.max_score} "
                        f"(lost {', '.join(lost)}{': ' + baseline.problem if baseline.problem else ''}); fix that first")
        return report

    def judged(mutant: Mutant) -> MutantResult:
        result = _judge(catalogue, exercise, mutant)
        if on_result:
            on_result(result)
        return result

    with stopping_at_first_failure(), ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        report.results = list(pool.map(judged, chosen))
    survivors = [r for r in report.results if r.verdict == SURVIVED]
    pairs = match([r.mutant for r in survivors], accepted)
    for index, entry in pairs.items():
        survivors[index].verdict, survivors[index].reason = ACCEPTED, entry.reason
    if not sample and not operators:  # otherwise an unmatched entry may just not have been drawn
        report.stale = [entry for entry in accepted if entry not in pairs.values()]
    return report


# ---------------------------------------------------------------- command line

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="+", metavar="ID", help="exercise or chapter ids")
    parser.add_argument("--operators", nargs="+", metavar="NAME", choices=list(OPERATORS),
                        help=f"only these operators (default: all): {', '.join(OPERATORS)}")
    parser.add_argument("--sample", type=int, metavar="N", help="grade N mutants drawn at random (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample (default: 0)")
    parser.add_argument("--survivors", metavar="FILE", type=Path,
                        help="read the accepted survivors from FILE (one exercise only; default: its own file)")
    parser.add_argument("--json", metavar="FILE", help="write every mutant and its verdict to FILE")
    parser.add_argument("--jobs", type=int, default=default_jobs(), metavar="N",
                        help=f"mutants graded at once (default here: {default_jobs()}, one per two cores: "
                             "the graded concurrency tests are timing-sensitive)")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import Progress

    from course import catalogue as catalogue_module

    console, errors = Console(highlight=False), Console(stderr=True, highlight=False)
    catalogue = catalogue_module.load()
    exercises = catalogue.select(args.names)
    if args.survivors and len(exercises) != 1:
        errors.print("[red]error:[/] --survivors names one exercise's file: mutate one exercise with it")
        return 2
    reports: list[ExerciseMutation] = []
    for exercise in exercises:
        with Progress(console=errors, transient=True) as bar:
            task = bar.add_task(f"mutating {exercise.id}", total=None)

            def advance(result: MutantResult | None) -> None:
                if result is not None and result.verdict == SURVIVED:
                    bar.console.print(f"  survived: line {result.mutant.line} {result.mutant.operator}: "
                                      f"{escape(result.mutant.mutated)}", soft_wrap=True)
                bar.advance(task)

            try:
                report = mutate_exercise(catalogue, exercise, operators=args.operators, sample=args.sample,
                                         seed=args.seed, jobs=args.jobs, survivors_path=args.survivors,
                                         on_total=lambda n: bar.update(task, total=n), on_result=advance)
            except SurvivorsError as error:
                errors.print(f"[red]error:[/] {escape(str(error))}", soft_wrap=True)
                return 2
        reports.append(report)
        _print(report, console, escape)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"exercises": [r.as_dict() for r in reports]}, indent=2))
        console.print(f"Wrote {args.json}")
    return 0 if all(r.passed for r in reports) else 1


def _print(report: ExerciseMutation, console, escape) -> None:
    exercise = report.exercise
    if report.error:
        console.print(f"[red]{exercise.id}: {escape(report.error)}[/]")
        return
    for result in report.results:
        if result.verdict != KILLED:
            m = result.mutant
            style, note = ("dim", f"accepted: {result.reason}") if result.verdict == ACCEPTED else ("red", "SURVIVED")
            console.print(f"[{style}]  {note}  line {m.line} {m.operator}: {escape(m.original)}  ->  {escape(m.mutated)}[/]",
                          soft_wrap=True)
    for entry in report.stale:
        console.print(f"[yellow]  stale entry in {report.survivors_path.name}: line {entry.line} {entry.operator}: "
                      f"{escape(entry.code)} (no surviving mutant matches it)[/]", soft_wrap=True)
    score = report.score
    shown = f"{score:.0%}" if score is not None else "n/a"
    applied = sorted({r.mutant.operator for r in report.results} & set(CONCURRENCY_OPERATORS))
    colour = "green" if report.passed else "red"
    console.print(f"[{colour}]{exercise.id}: mutation score {shown}[/] ({report.count(KILLED)} killed, "
                  f"{report.count(SURVIVED)} survived, {report.count(ACCEPTED)} accepted of {len(report.results)} mutants; "
                  f"concurrency operators applied: {', '.join(applied) or 'none'})")
