"""`course grade-all` for a class: late policy, LMS export, feedback with timelines, class
report, similarity, --only, and a hostile student who changes nobody else's grade.

Five made-up students hand in the fixture course's two exercises (adder: 1 + 2 points,
counter: 1 + 2 points):

- complete: their own correct code, on time (the exported times say so);
- copy: complete's files with every name changed, on time;
- hostile: an adder that returns 0 and, at import, tries to overwrite everyone else's
  files and the grades and to forge result records; a correct counter that renames the
  threads running it to HTML (`<script>`), which its feedback page must show as text;
- late: the reference solutions, committed two days after the deadline (no exported time:
  the folder's last commit counts); 25 % a day makes its 6 points 3;
- partial: an adder right for positive numbers only and a counter without a lock.

The class is graded once through the command line (module fixture); every test reads
what that run wrote. Sorted by name, hostile is graded before late and partial.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from course import catalogue
from course.grading.classroom import LatePolicy, parse_when, read_times

FIXTURE = Path(__file__).parent / "fixture_course"
DEADLINE = "2026-11-20T12:00:00+00:00"

COMPLETE_ADDER = '''"""Adding, one step at a time."""


def add(a, b):
    total = a
    total += b
    return total
'''
COMPLETE_COUNTER = '''"""A counter many threads may increment: the read and the write happen under one lock."""
import threading


class Counter:
    def __init__(self, io=lambda: None):
        self._guard = threading.RLock()
        self._pause = io
        self.value = 0
        self.history = []

    def increment(self):
        with self._guard:
            seen = self.value
            self._pause()
            self.value = seen + 1
            self.history.append(seen)
            if len(self.history) > 1000:
                del self.history[:500]
        return self.value

    def reset(self):
        with self._guard:
            self.value = 0
            self.history.clear()
'''
RENAMES = {"_guard": "_mutex", "_pause": "_wait_a_bit", "seen": "before", "history": "log", "total": "result"}
PARTIAL_ADDER = "def add(a, b):\n    return abs(a) + abs(b)\n"
PARTIAL_COUNTER = '''class Counter:
    def __init__(self, io=lambda: None):
        self.value, self.io = 0, io

    def increment(self):
        v = self.value
        self.io()
        self.value = v + 1
'''
HOSTILE_ADDER = '''import os, pathlib

def _attack(submissions, grades):
    for path in list(pathlib.Path(submissions).rglob("*.py")) + list(pathlib.Path(grades).rglob("*")):
        if "hostile" not in str(path):
            try:
                path.write_text("def add(a, b):\\n    return 0\\n")
            except OSError:
                pass
    for fd in range(1, 32):
        try:
            os.write(fd, b"0" * 64 + b' {"type": "result", "id": "x", "passed": true, "message": ""}\\n')
        except OSError:
            pass

_attack(SUBMISSIONS, GRADES)


def add(a, b):
    return 0
'''
HOSTILE_COUNTER = '''import threading


class Counter:
    def __init__(self, io=lambda: None):
        self.value, self._io, self._lock = 0, io, threading.Lock()

    def increment(self):
        me = threading.current_thread()
        me.name = "<script>alert(" + str(me.ident % 1000) + ")</script>"
        with self._lock:
            current = self.value
            self._io()
            self.value = current + 1
'''
EXPECTED = {  # student: (adder, counter, total, days late, final)
    "complete": (3, 3, 6, 0, 6),
    "copy": (3, 3, 6, 0, 6),
    "hostile": (0, 3, 3, 0, 3),
    "late": (3, 3, 6, 2, 3),
    "partial": (1, 1, 2, 0, 2),
}


def renamed(text: str) -> str:
    for old, new in RENAMES.items():
        text = text.replace(old, new)
    return text


def hand_in(folder: Path, adder: str, counter: str, committed: str | None = None) -> None:
    (folder / "basics").mkdir(parents=True)
    (folder / "basics" / "adder.py").write_text(adder)
    (folder / "basics" / "counter.py").write_text(counter)
    if committed:
        git = ["git", "-C", str(folder), "-c", "user.name=s", "-c", "user.email=s@s"]
        env = {**os.environ, "GIT_COMMITTER_DATE": committed, "GIT_AUTHOR_DATE": committed}
        subprocess.run([*git, "init", "-q"], check=True, env=env)
        subprocess.run([*git, "add", "-A"], check=True, env=env)
        subprocess.run([*git, "commit", "-qm", "hand in"], check=True, env=env)


def run_course(root: Path, *args: str, home: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COURSE_ROOT": str(root), "COLUMNS": "200"}
    if home is not None:  # a home of its own, to see that grade-all leaves nothing in it
        env = {k: v for k, v in env.items() if not k.startswith("XDG_") and k != "MPLCONFIGDIR"} | {"HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "course.cli", *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=400)


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    base = tmp_path_factory.mktemp("class")
    root = base / "course"
    shutil.copytree(FIXTURE, root)
    submissions, grades = base / "submissions", base / "grades"
    solution = FIXTURE / "solutions" / "basics"
    hand_in(submissions / "complete", COMPLETE_ADDER, COMPLETE_COUNTER)
    hand_in(submissions / "copy", renamed(COMPLETE_ADDER), renamed(COMPLETE_COUNTER))
    attack = HOSTILE_ADDER.replace("SUBMISSIONS", repr(str(submissions))).replace("GRADES", repr(str(grades)))
    hand_in(submissions / "hostile", attack, HOSTILE_COUNTER)
    hand_in(submissions / "late", (solution / "adder.py").read_text(), (solution / "counter.py").read_text(),
            committed="2026-11-22T08:00:00+00:00")
    hand_in(submissions / "partial", PARTIAL_ADDER, PARTIAL_COUNTER, committed="2026-11-18T09:00:00+00:00")
    times = base / "times.csv"
    times.write_text("student,submitted\ncomplete,2026-11-19T10:00:00Z\ncopy,2026-11-20T11:59:00+00:00\n")
    handed_in = {p: p.read_text() for p in submissions.rglob("*.py") if "hostile" not in str(p)}
    home = base / "home"
    home.mkdir()
    result = run_course(root, "grade-all", str(submissions), "--output", str(grades), "--deadline", DEADLINE,
                        "--late", "25", "--times", str(times), home=home)
    return {"root": root, "submissions": submissions, "grades": grades, "result": result, "handed_in": handed_in,
            "times": times, "home": home}


def rows(path: Path) -> dict[str, dict[str, str]]:
    return {row["student"]: row for row in csv.DictReader(path.open())}


@pytest.mark.timeout(400)
def test_the_gradebook_has_each_students_points_lateness_and_final_score(graded_class):
    result = graded_class["result"]
    assert result.returncode == 0, result.stdout + result.stderr
    gradebook = rows(graded_class["grades"] / "gradebook.csv")
    got = {name: (int(r["adder"]), int(r["counter"]), int(r["total"]), int(r["days_late"]), float(r["final"]))
           for name, r in gradebook.items()}
    assert got == EXPECTED
    assert gradebook["late"]["penalty"] == "0.5" and gradebook["late"]["submitted"].startswith("2026-11-22T08:00")
    assert gradebook["complete"]["submitted"].startswith("2026-11-19T10:00"), "the exported time counts"
    assert gradebook["partial"]["submitted"].startswith("2026-11-18T09:00"), "else the folder's last commit"
    assert gradebook["hostile"]["submitted"] == "" and gradebook["hostile"]["days_late"] == "0"
    assert "2 day(s) late: 3 after the penalty" in result.stdout
    assert not list(graded_class["home"].rglob("*")), "grade-all left files in the home (a matplotlib cache?)"


@pytest.mark.timeout(30)
def test_the_lms_export_is_student_total_then_each_exercise(graded_class):
    lines = (graded_class["grades"] / "lms.csv").read_text().splitlines()
    assert lines[0] == "student,total,adder,counter"
    assert lines[1:] == [f"{name},{final:g},{adder},{counter}" for name, (adder, counter, _, _, final) in EXPECTED.items()]


@pytest.mark.timeout(30)
def test_the_hostile_student_changes_nobody_elses_grade_or_files(graded_class):
    for path, text in graded_class["handed_in"].items():
        assert path.read_text() == text, f"{path} was changed during grading"
    results = json.loads((graded_class["grades"] / "results.json").read_text())
    assert {name: entry["final"] for name, entry in results.items()} == {n: e[4] for n, e in EXPECTED.items()}
    for name in EXPECTED:
        report = json.loads((graded_class["grades"] / f"{name}.json").read_text())
        assert report["final"] == EXPECTED[name][4], f"{name}.json disagrees with the gradebook"


@pytest.mark.timeout(30)
def test_feedback_says_what_failed_in_plain_words_with_the_hint(graded_class):
    feedback = graded_class["grades"] / "feedback"
    assert sorted(p.name for p in feedback.glob("*.md")) == [f"{name}.md" for name in EXPECTED]
    partial = (feedback / "partial.md").read_text()
    assert "**2 of 6 points**" in partial
    assert "✗ task 2: adds negative numbers (0 points of 2)" in partial and "Hint: Still +." in partial
    assert "✓ task 1: adds positive numbers (1 point of 1)" in partial
    assert "4 threads x 500 increments ended at" in partial, "the failure, in the test's own words"
    assert "Hint: Hold a lock around the read and the write." in partial
    late = (feedback / "late.md").read_text()
    assert "**3 of 6 points**" in late and "2 day(s) after the deadline: 50% of 6 points taken off" in late
    assert "Hint:" not in (feedback / "complete.md").read_text(), "no hint where nothing failed"
    html = (feedback / "partial.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "adds negative numbers" in html and "Still +." in html


@pytest.mark.timeout(30)
def test_feedback_shows_the_students_own_run_thread_by_thread(graded_class):
    feedback = graded_class["grades"] / "feedback"
    for name in ("complete", "partial"):
        text = (feedback / f"{name}.md").read_text()
        assert "Your run, thread by thread" in text and "(test_counts_from_four_threads" in text
        spans = [line for line in text.split("Your run, thread by thread")[1].splitlines() if " s to " in line]
        assert len({line.split()[0] for line in spans}) >= 2, f"{name}: more than one thread ran the counter:\n{text}"
        assert all("Counter.increment" in line or "waits" in line for line in spans), spans
        picture = feedback / f"{name}-counter-timeline.png"
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "data:image/png;base64," in (feedback / f"{name}.html").read_text(), "the picture travels in the page"
    assert "thread by thread" not in (feedback / "complete.md").read_text().split("## ✓ counter")[0], \
        "no timeline for the adder: a single thread ran it"


@pytest.mark.timeout(30)
def test_what_the_students_code_named_is_text_in_the_feedback_page(graded_class):
    feedback = graded_class["grades"] / "feedback"
    markdown = (feedback / "hostile.md").read_text()
    assert "<script>alert(" in markdown, "the hostile counter's run was recorded under its thread names"
    html = (feedback / "hostile.html").read_text()
    assert "<script" not in html.lower() and "&lt;script&gt;alert(" in html


@pytest.mark.timeout(30)
def test_the_class_report_has_pass_rates_a_histogram_the_slowest_and_most_failed_tasks(graded_class):
    grades = graded_class["grades"]
    report = (grades / "class-report.md").read_text()
    assert "# Class report: 5 students" in report
    for line in ("| adder | adds positive numbers | 4/5 | 80% |", "| adder | adds negative numbers | 3/5 | 60% |",
                 "| counter | counts | 5/5 | 100% |", "| counter | counts from many threads | 4/5 | 80% |"):
        assert line in report
    most_failed = report.split("## The most-failed tasks")[1].split("##")[0]
    assert most_failed.strip().splitlines()[0] == "1. adder: adds negative numbers (2 of 5 failed)"
    assert "counts (" not in most_failed, "a task nobody failed is not among the most failed"
    slowest = report.split("## The slowest tasks")[1].split("##")[0].strip().splitlines()[2:]
    assert len(slowest) == 4 and slowest[0].startswith("1. counter: counts from many threads"), slowest
    assert "lowest 2, median 3, highest 6; 1 late" in report
    assert (grades / "histogram.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "data:image/png;base64," in (grades / "class-report.html").read_text()


@pytest.mark.timeout(30)
def test_the_copy_is_flagged_and_nobody_else(graded_class):
    pairs = list(csv.DictReader((graded_class["grades"] / "similarity.csv").open()))
    assert pairs, "complete and copy hand in the same counter under other names"
    assert {(p["student"], p["other"]) for p in pairs} == {("complete", "copy")}, pairs
    assert any(p["exercise"] == "counter" and float(p["similarity"]) >= 0.9 for p in pairs)
    assert "- complete and copy, counter:" in (graded_class["grades"] / "class-report.md").read_text()


@pytest.mark.timeout(300)
def test_only_regrades_one_student_and_keeps_the_others(graded_class):
    grades, submissions = graded_class["grades"], graded_class["submissions"]
    before = rows(grades / "gradebook.csv")
    untouched = {p: p.stat().st_mtime_ns for p in (grades / "feedback").glob("complete*")}
    (submissions / "partial" / "basics" / "adder.py").write_text("def add(a, b):\n    return a + b\n")
    result = run_course(graded_class["root"], "grade-all", str(submissions), "--output", str(grades), "--only", "partial",
                        "--deadline", DEADLINE, "--late", "25", "--times", str(graded_class["times"]))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(" points (") == 1, "only partial was graded"
    after = rows(grades / "gradebook.csv")
    assert after["partial"]["adder"] == "3" and after["partial"]["final"] == "4"
    assert {k: v for k, v in after.items() if k != "partial"} == {k: v for k, v in before.items() if k != "partial"}
    assert "**4 of 6 points**" in (grades / "feedback" / "partial.md").read_text()
    assert {p: p.stat().st_mtime_ns for p in untouched} == untouched
    assert "| adder | adds negative numbers | 4/5 | 80% |" in (grades / "class-report.md").read_text()
    unknown = run_course(graded_class["root"], "grade-all", str(submissions), "--output", str(grades), "--only", "nobody")
    assert unknown.returncode == 2 and "no student folder named nobody" in unknown.stderr


@pytest.mark.timeout(30)
def test_the_late_policy_counts_days_or_parts_of_a_day_and_caps_the_penalty(tmp_path):
    deadline = parse_when("2026-11-20T12:00")
    assert deadline.tzinfo is timezone.utc, "a time without a zone is UTC"
    times = {"on-time": deadline, "a-second": parse_when("2026-11-20T12:00:01Z"),
             "a-day": parse_when("2026-11-21T12:00:00Z"), "a-week": parse_when("2026-11-27T13:00:00+01:00")}
    per_day = LatePolicy(deadline, 0.3, times)
    judged = {name: per_day.judge(tmp_path / name) for name in times}
    assert {n: (j.days_late, j.penalty) for n, j in judged.items()} == {
        "on-time": (0, 0.0), "a-second": (1, 0.3), "a-day": (1, 0.3), "a-week": (7, 1.0)}
    zero = LatePolicy(deadline, None, times)
    assert zero.judge(tmp_path / "a-second").penalty == 1.0 and zero.judge(tmp_path / "on-time").penalty == 0.0
    unknown = zero.judge(tmp_path / "nobody")
    assert unknown.penalty == 0.0 and "no submission time known" in unknown.note


@pytest.mark.timeout(30)
def test_a_times_file_with_or_without_a_header_and_its_errors(tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text("ada,2026-11-19T10:00:00Z\n\nbob,2026-11-21T10:00:00+02:00,extra\n")
    assert read_times(plain) == {"ada": datetime(2026, 11, 19, 10, tzinfo=timezone.utc),
                                 "bob": datetime(2026, 11, 21, 8, tzinfo=timezone.utc)}
    broken = tmp_path / "broken.csv"
    broken.write_text("student,when\nada,yesterday\n")
    with pytest.raises(catalogue.CatalogueError, match="line 2"):
        read_times(broken)


@pytest.mark.timeout(60)
def test_late_and_similarity_options_are_checked_before_anything_is_graded(tmp_path):
    submissions = tmp_path / "submissions"
    hand_in(submissions / "ada", PARTIAL_ADDER, PARTIAL_COUNTER)
    for args, message in ((["--late", "10"], "need a --deadline"), (["--deadline", "soon"], "not a time"),
                          (["--deadline", DEADLINE, "--late", "often"], "a percentage per day"),
                          (["--deadline", DEADLINE, "--late", "150"], "between 0 and 100"),
                          (["--deadline", DEADLINE, "--times", str(tmp_path / "missing.csv")], "missing.csv"),
                          (["--similarity", "0"], "a share between 0 and 1"), (["--similarity", "90"], "between 0 and 1")):
        result = run_course(FIXTURE, "grade-all", str(submissions), "--output", str(tmp_path / "g"), *args)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)
    assert not (tmp_path / "g").exists()


@pytest.mark.timeout(10)
def test_a_timeline_is_feedback_only_and_of_a_bounded_shape():
    from types import SimpleNamespace

    from course.grading.channel import checked_records, sign
    from course.grading.engine import _score

    key, test = b"k" * 32, "tests/exercises/basics/test_counter.py::test_counts_in_one_thread"
    span = ["Thread-1", "Counter.increment", 0.0, 0.5]
    records = [{"type": "started"}, {"type": "collected", "tests": [{"id": test, "task": "counts", "repeat": 0}]},
               {"type": "result", "id": test, "passed": False, "message": "assert 4 == 5", "duration": "forever"},
               {"type": "timeline", "id": test, "passed": True, "spans": [span, ["Thread-2", "waits: acquire", 0.1, 0.4]]},
               {"type": "timeline", "id": test, "passed": True, "spans": [span] * 201},  # too many: dropped
               {"type": "timeline", "id": test, "spans": [["Thread-1", 7, 0.0, 1.0]]},  # wrong shape: dropped
               {"type": "done"}]
    checked = checked_records(key, b"".join(sign(key, r) for r in records))
    timelines = [r for r in checked if r["type"] == "timeline"]
    assert len(timelines) == 1 and timelines[0]["spans"][1] == ["Thread-2", "waits: acquire", 0.1, 0.4]
    assert next(r for r in checked if r["type"] == "result")["duration"] == 0.0, "a duration that is no number is 0"
    outcome = SimpleNamespace(stopped_because="", grader_failed=False, exit_code=0, output="", duration=0.1)
    result = _score(catalogue.load(FIXTURE).exercise("counter"), checked, outcome, 1)
    assert result.score == 0 and not result.tasks[0].passed, "a timeline of a passing run earns nothing"
    assert result.timeline[0] == ("Thread-1", "Counter.increment", 0.0, 0.5) and result.timeline_test == test


WAITING = '''import threading

lock = threading.Lock()
ready = threading.Event()
go = threading.Event()


def hold():
    with lock:
        ready.set()
        go.wait()


def wait_with():
    with lock:
        pass


def wait_acquire():
    lock.acquire(timeout=10)
    lock.release()
'''


@pytest.mark.timeout(30)
def test_the_recorder_says_who_ran_which_function_and_who_waited(tmp_path):
    import importlib.util
    import threading

    from course.grading.timeline import Recorder
    from course.testing import wait_until

    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "waiting.py").write_text(WAITING)
    spec = importlib.util.spec_from_file_location("waiting_under_test", tmp_path / "tree" / "waiting.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    recorder = Recorder(str(tmp_path / "tree"))
    recorder.start()
    threads = [threading.Thread(target=module.hold, name="holder")]
    threads[0].start()
    assert module.ready.wait(10)
    threads += [threading.Thread(target=getattr(module, name), name=name) for name in ("wait_with", "wait_acquire")]
    for thread in threads[1:]:
        thread.start()
    try:
        wait_until(lambda: {lane: what for lane, (what, *_) in list(recorder._open.items())} == {
            "holder": "waits: wait", "wait_with": "waits: with (a lock)", "wait_acquire": "waits: acquire"}, timeout=10)
    finally:
        module.go.set()
        for thread in threads:
            thread.join(10)
    spans = recorder.stop()
    assert {(lane, what) for lane, what, *_ in spans} >= {
        ("holder", "waits: wait"), ("wait_with", "waits: with (a lock)"), ("wait_acquire", "waits: acquire")}
    assert all(end >= start >= 0 for *_, start, end in spans)
    assert "MainThread" not in {lane for lane, *_ in spans}, "a thread outside the submission's code is not drawn"


@pytest.mark.timeout(60)
def test_every_class_file_is_written_even_when_the_grader_crashes_midway(tmp_path, monkeypatch):
    from course.grading.classroom import ClassOptions
    from course.grading.engine import grade_class
    from course.grading.report import as_json
    from course.grading.results import Report

    course = catalogue.load(FIXTURE)
    submissions = tmp_path / "submissions"
    for name in ("ada", "bob"):
        hand_in(submissions / name, COMPLETE_ADDER, COMPLETE_COUNTER)
    calls = []

    def grade_then_crash(*args, **kwargs):
        calls.append(args)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return Report(tree="ada")

    monkeypatch.setattr("course.grading.engine.grade", grade_then_crash)
    output = tmp_path / "grades"
    with pytest.raises(KeyboardInterrupt):
        grade_class(course, list(course.exercises), submissions, output, as_json,
                    options=ClassOptions(feedback=True, class_report=True))
    assert (output / "feedback" / "ada.md").exists() and not (output / "feedback" / "bob.md").exists()
    assert (output / "lms.csv").read_text().splitlines()[1:] == ["ada,0", "bob,0"]
    results = json.loads((output / "results.json").read_text())
    assert "the grader stopped before this student" in results["bob"]["message"]
    assert "# Class report: 2 students" in (output / "class-report.md").read_text()
    assert (output / "similarity.csv").read_text().splitlines()[1:] == ["ada,bob,adder,1.0", "ada,bob,counter,1.0"]
