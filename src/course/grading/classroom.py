"""What `grade-all` adds for a class: the late policy, similarity between submissions, the class report.

- `LatePolicy`: a deadline and what lateness costs (a share of the score per day
  or part of a day, or everything); submission times from a CSV the instructor
  exports, else from the last commit of each student's folder. A committer date
  is whatever the student's git wrote, so an exported time is the one to trust.
- `similar_pairs`: copydetect (winnowing, as MOSS) between every two students'
  files of the same exercise, with the stubs as boilerplate so the code everyone
  was given does not count as copied.
- `class_report`: per-task pass rates, a histogram of final scores (PNG), the
  slowest and the most-failed tasks, and the flagged pairs, in Markdown and HTML.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from course.catalogue import Catalogue, CatalogueError, Exercise
from course.grading.results import Lateness, Report

DAY = 86400.0
MAX_SIMILARITY_BYTES = 256 * 1024  # a file larger than this is not compared (a generated blob, not a copy)


def parse_when(text: str) -> datetime:
    """An ISO 8601 time; one without a zone is taken as UTC."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CatalogueError(f"not a time: {text!r} (write it as ISO 8601, e.g. 2026-12-01T23:59+01:00)") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def read_times(path: Path) -> dict[str, datetime]:
    """Submission times from an exported CSV: the student in the first column, the time in
    the second (ISO 8601); a header row is recognised by a second column that is no time."""
    times = {}
    with path.open(newline="") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            if len(row) < 2 or not row[0].strip():
                continue
            try:
                times[row[0].strip()] = parse_when(row[1])
            except CatalogueError:
                if number > 1:
                    raise CatalogueError(f"{path} line {number}: {row[1]!r} is not an ISO 8601 time") from None
    return times


def commit_time(folder: Path) -> datetime | None:
    """The committer time of the last commit of `folder`'s own repository, or None.

    git runs with the student's repository configuration neutralised where it could
    run a program (fsmonitor, hooks, a pager) and never looks above the folder."""
    if not (folder / ".git").exists():
        return None
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_CEILING_DIRECTORIES": str(folder.parent.resolve()), "GIT_TERMINAL_PROMPT": "0"}
    command = ["git", "--no-pager", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null",
               "-c", f"safe.directory={folder.resolve()}", "-C", str(folder), "log", "-1", "--format=%cI", "HEAD"]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
        return parse_when(done.stdout) if done.returncode == 0 and done.stdout.strip() else None
    except (OSError, subprocess.TimeoutExpired, CatalogueError):
        return None


@dataclass
class LatePolicy:
    deadline: datetime
    per_day: float | None = None  # the share of the score lost per day late; None: late work scores zero
    times: dict[str, datetime] = field(default_factory=dict)  # exported times; else each folder's last commit

    def judge(self, student: Path) -> Lateness:
        if student.name in self.times:
            submitted, source = self.times[student.name], "the exported submission times"
        elif (submitted := commit_time(student)) is not None:
            source = "the folder's last commit"
        else:
            return Lateness(note="no submission time known (not in the times file, no commit): counted as on time")
        late = (submitted - self.deadline).total_seconds()
        days = math.ceil(late / DAY) if late > 0 else 0
        penalty = 0.0 if not days else 1.0 if self.per_day is None else min(1.0, days * self.per_day)
        return Lateness(submitted=submitted.isoformat(), days_late=days, penalty=round(penalty, 4), note=f"from {source}")


@dataclass(frozen=True)
class Similar:
    first: str
    second: str
    exercise: str
    similarity: float  # the larger of the two shares of each file found in the other, 0..1


def similar_pairs(catalogue: Catalogue, exercises: list[Exercise], students: list[Path], threshold: float) -> list[Similar]:
    """Pairs of students whose files of one exercise are at least `threshold` alike (copydetect)."""
    import tqdm
    from copydetect import CopyDetector

    tqdm.tqdm.monitor_interval = 0  # copydetect's progress bars would leave a monitor thread running

    from course.grading.engine import locate_module

    pairs = []
    for exercise in exercises:
        with tempfile.TemporaryDirectory(prefix="course-similar-") as folder:
            owners = {}
            for student in students:
                source = locate_module(student, exercise) if student.is_dir() and not student.is_symlink() else None
                if source is None or source.stat().st_size > MAX_SIMILARITY_BYTES:
                    continue
                copy = Path(folder) / f"{len(owners)}.py"
                copy.write_bytes(source.read_bytes())
                owners[str(copy)] = student.name
            if len(owners) < 2:
                continue
            stub = catalogue.root / "exercises" / exercise.relpath()
            detector = CopyDetector(test_dirs=[folder], extensions=["py"],  # copydetect's k-gram sizes (25)
                                    boilerplate_dirs=[str(stub.parent)] if stub.exists() else [],
                                    display_t=threshold, silent=True, autoopen=False)
            detector.run()
            found = {}
            for first_share, second_share, first, second, *_ in detector.get_copied_code_list():
                names = tuple(sorted((owners[str(Path(first))], owners[str(Path(second))])))
                found[names] = max(found.get(names, 0.0), float(first_share), float(second_share))
            pairs += [Similar(a, b, exercise.id, round(share, 3)) for (a, b), share in found.items() if share >= threshold]
    return sorted(pairs, key=lambda p: (-p.similarity, p.exercise, p.first, p.second))


def similarity_csv(pairs: list[Similar]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student", "other", "exercise", "similarity"])
    writer.writerows([p.first, p.second, p.exercise, p.similarity] for p in pairs)
    return buffer.getvalue()


@dataclass(frozen=True)
class TaskStats:
    exercise: str
    task: str
    title: str
    passed: int
    graded: int
    seconds: float  # the mean time its tests took per student

    @property
    def rate(self) -> float:
        return self.passed / self.graded if self.graded else 0.0


def task_stats(reports: dict[str, Report]) -> list[TaskStats]:
    """Every task of the class: how many students earned it and how long its tests ran."""
    counts: dict[tuple[str, str], list] = {}
    for report in reports.values():
        for result in report.results:
            for task in result.tasks:
                entry = counts.setdefault((result.exercise.id, task.task.id), [task.task.title, 0, 0, 0.0])
                entry[1] += task.passed
                entry[2] += 1
                entry[3] += sum(test.duration for test in task.tests)
    return [TaskStats(exercise, task, title, passed, graded, seconds / graded)
            for (exercise, task), (title, passed, graded, seconds) in counts.items()]


def histogram_png(reports: dict[str, Report], path: Path) -> None:
    """Final scores (after the late policy) in percent of the maximum, in ten bins."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shares = [100 * r.final / r.max_score for r in reports.values() if r.max_score]
    figure, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(shares, bins=range(0, 101, 10), edgecolor="black")
    ax.set_xlabel("final score (% of the maximum)")
    ax.set_ylabel("students")
    ax.set_title(f"{len(shares)} students")
    figure.tight_layout()
    figure.savefig(path, dpi=96)
    plt.close(figure)


def class_report(reports: dict[str, Report], pairs: list[Similar], threshold: float, histogram: str, top: int = 5) -> str:
    """The class report in Markdown (course.grading.feedback renders it as HTML too)."""
    stats = task_stats(reports)
    finals = sorted(r.final for r in reports.values())
    lines = [f"# Class report: {len(reports)} student{'' if len(reports) == 1 else 's'}", ""]
    if finals:
        lines += [f"Final scores (after the late policy): lowest {finals[0]:g}, median "
                  f"{finals[len(finals) // 2]:g}, highest {finals[-1]:g}; "
                  f"{sum(r.late.days_late > 0 for r in reports.values())} late, "
                  f"{sum(bool(r.error) for r in reports.values())} not graded completely.", ""]
    lines += [f"![Histogram of final scores]({histogram})", "", "## Pass rate of each task", "",
              "| exercise | task | passed | rate |", "|---|---|---|---|"]
    lines += [f"| {s.exercise} | {s.title} | {s.passed}/{s.graded} | {s.rate:.0%} |" for s in stats]
    lines += ["", "## The most-failed tasks", ""]
    lines += [f"1. {s.exercise}: {s.title} ({s.graded - s.passed} of {s.graded} failed)"
              for s in sorted(stats, key=lambda s: (s.rate, s.exercise))[:top] if s.passed < s.graded] or ["None failed."]
    lines += ["", "## The slowest tasks (mean time of their tests per student)", ""]
    lines += [f"1. {s.exercise}: {s.title} ({s.seconds:.2f} s)" for s in sorted(stats, key=lambda s: -s.seconds)[:top]]
    lines += ["", f"## Similar submissions (copydetect, {threshold:.0%} or more alike)", ""]
    lines += [f"- {p.first} and {p.second}, {p.exercise}: {p.similarity:.0%}" for p in pairs] or ["No pair above the threshold."]
    return "\n".join(lines) + "\n"


@dataclass
class ClassOptions:
    """What `grade-all` does beyond grading: the defaults are the plain gradebook."""

    late: LatePolicy | None = None
    feedback: bool = False  # feedback files, with timelines recorded during the run
    class_report: bool = False
    similarity: float = 0.9  # flag pairs at least this alike (with class_report)
    only: tuple[str, ...] = ()  # regrade these students, keep the others' results


def load_previous(output: Path, catalogue: Catalogue) -> dict[str, Report]:
    """The reports an earlier grade-all stored in OUTPUT/results.json (none if it is unreadable)."""
    from course.grading.report import report_from_dict

    try:
        stored = json.loads((output / "results.json").read_text())
    except (OSError, ValueError):
        return {}
    previous = {}
    for name, entry in stored.items() if isinstance(stored, dict) else ():
        try:
            previous[name] = report_from_dict(entry["report"], catalogue)
        except (KeyError, TypeError, ValueError):
            continue
    return previous


def student_extras(options: ClassOptions, output: Path, student: Path, report: Report) -> None:
    """The late policy's verdict on `report`, then the student's feedback files. Never raises:
    whatever fails here is said in the report, and the next student is graded as usual."""
    from course.grading.feedback import write_feedback

    try:
        if options.late and not student.is_symlink():
            report.late = options.late.judge(student)
        if options.feedback:
            write_feedback(output / "feedback", student.name, report)
    except Exception as error:
        report.error = (report.error + "; " if report.error else "") + f"feedback not written: {type(error).__name__}: {error}"


def results_json(reports: dict[str, Report]) -> str:
    """A score and a message for every student, and the whole report (read back by --only)."""
    from course.grading.report import report_as_dict

    return json.dumps({name: {
        "score": report.score, "max_score": report.max_score, "final": report.final,
        "message": report.error or "; ".join(f"{r.exercise.id}: {r.problem.splitlines()[0]}" for r in report.results
                                             if r.problem) or "graded",
        "report": report_as_dict(report),
    } for name, report in sorted(reports.items())}, indent=2)


def finish_class(options: ClassOptions, catalogue: Catalogue, exercises: list[Exercise], students: list[Path],
                 output: Path, reports: dict[str, Report], write) -> None:
    """gradebook.csv, lms.csv, results.json, then the class report; `write` never raises."""
    from course.grading.feedback import as_html
    from course.grading.report import gradebook_csv, lms_csv

    write(output / "gradebook.csv", lambda: gradebook_csv(reports))
    write(output / "lms.csv", lambda: lms_csv(reports))
    write(output / "results.json", lambda: results_json(reports))
    if not options.class_report:
        return
    pairs: list[Similar] = []
    problem = ""
    try:
        pairs = similar_pairs(catalogue, exercises, students, options.similarity)
    except Exception as error:
        problem = f"\nThe similarity check failed: {type(error).__name__}: {error}\n"
    write(output / "similarity.csv", lambda: similarity_csv(pairs))
    try:
        histogram_png(reports, output / "histogram.png")
    except Exception as error:
        problem += f"\nThe histogram could not be drawn: {type(error).__name__}: {error}\n"
    markdown = class_report(reports, pairs, options.similarity, "histogram.png") + problem
    write(output / "class-report.md", lambda: markdown)
    write(output / "class-report.html", lambda: as_html(markdown, "Class report", output))
