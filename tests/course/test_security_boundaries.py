"""One exercise, one student, never more (issue 8): whatever a run sends or a
submission holds, the grader validates it, contains a failure to one exercise,
and `grade-all` always writes every report, the gradebook and results.json."""

import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from course import catalogue
from course.grading.channel import checked_records, sign
from course.grading.engine import _score, grade, grade_class
from course.grading.report import as_json
from course.grading.sandbox import remove_tree

FIXTURE = Path(__file__).parent / "fixture_course"
HOSTILE = Path(__file__).parent / "hostile"
KEY = b"k" * 32
ADDER = "tests/exercises/basics/test_adder.py::test_adds_positive_numbers"


@pytest.fixture(scope="module")
def course():
    return catalogue.load(FIXTURE)


def student(folder: Path, adder: Path) -> Path:
    (folder / "basics").mkdir(parents=True)
    shutil.copyfile(adder, folder / "basics" / "adder.py")
    return folder


@pytest.mark.timeout(10)
def test_signed_records_of_the_wrong_shape_are_dropped_not_raised(course):
    records = [
        {"type": "started"},
        {"type": "collected", "tests": [{"id": ADDER, "task": "positive", "repeat": 0}]},
        {"type": "result", "passed": True, "message": ""},  # no id
        {"type": "result", "id": ADDER, "passed": True, "message": {"not": "text"}},
        {"type": "result", "id": ADDER, "passed": "yes"},
        {"type": "collected", "tests": [{"task": "positive"}]},
        {"type": "collect-error", "message": 42},
        {"type": "done"},
    ]
    data = b"".join(sign(KEY, r) for r in records) + b"[1, 2]\n" + b"x" * 5_000_000 + sign(KEY, [1, 2])  # type: ignore[arg-type]
    checked = checked_records(KEY, data)
    assert [r["type"] for r in checked] == ["started", "collected", "result", "done"]
    assert checked[2] == {"type": "result", "id": ADDER, "passed": True, "message": "", "duration": 0.0}  # the message that was not text
    outcome = SimpleNamespace(stopped_because="", grader_failed=False, exit_code=0, output="", duration=0.1)
    result = _score(course.exercise("adder"), checked, outcome, 1)
    assert result.tasks[0].passed


@pytest.mark.timeout(10)
def test_two_verdicts_for_one_test_count_as_a_failure(course):
    records = [{"type": "started"}, {"type": "collected", "tests": [{"id": ADDER, "task": "positive", "repeat": 0}]},
               {"type": "result", "id": ADDER, "passed": True, "message": ""},
               {"type": "result", "id": ADDER, "passed": False, "message": "assert 0 == 5"}, {"type": "done"}]
    outcome = SimpleNamespace(stopped_because="", grader_failed=False, exit_code=0, output="", duration=0.1)
    result = _score(course.exercise("adder"), checked_records(KEY, b"".join(sign(KEY, r) for r in records)), outcome, 1)
    assert not result.tasks[0].passed and "two verdicts" in result.tasks[0].failures[0].message


@pytest.mark.timeout(60)
def test_a_symlinked_file_or_folder_is_not_graded_and_deep_folders_do_not_matter(course, tmp_path):
    tree = tmp_path / "student"
    (tree / "basics").mkdir(parents=True)
    (tree / "basics" / "adder.py").symlink_to(FIXTURE / "solutions" / "basics" / "adder.py")
    (tree / "basics" / "counter.py").symlink_to(FIXTURE / "solutions" / "basics" / "counter.py")
    folder = os.open(tree, os.O_RDONLY)
    for _ in range(3000):
        os.mkdir("d", dir_fd=folder)
        inner = os.open("d", os.O_RDONLY, dir_fd=folder)
        os.close(folder)
        folder = inner
    os.close(folder)
    try:
        report = grade(course, list(course.exercises), tree)
    finally:
        remove_tree(tree)
    assert report.score == 0 and all("no file" in r.problem for r in report.results), [r.problem for r in report.results]


@pytest.mark.timeout(180)
def test_grade_all_writes_every_report_the_gradebook_and_results_json(course, tmp_path, monkeypatch):
    submissions = tmp_path / "submissions"
    student(submissions / "ada", FIXTURE / "solutions" / "basics" / "adder.py")
    student(submissions / "bob", HOSTILE / "nests_folders.py")
    (submissions / "eve").symlink_to(submissions / "ada", target_is_directory=True)
    output = tmp_path / "grades"
    written = []

    def render(report):
        if "bob" in report.tree:
            raise RuntimeError("a renderer that fails")
        return as_json(report)

    grade_class(course, [course.exercise("adder")], submissions, output, render,
                on_graded=lambda name, report: written.append((name, sorted(p.name for p in output.iterdir()))))
    assert written[0] == ("ada", ["ada.json"]), "a report is written as soon as its student is graded"
    results = json.loads((output / "results.json").read_text())
    assert {name: r["score"] for name, r in results.items()} == {"ada": 3, "bob": 0, "eve": 0}
    assert all(r["message"] for r in results.values())
    assert "symbolic link" in results["eve"]["message"]
    assert "could not write" in (output / "bob.json").read_text()
    assert (output / "gradebook.csv").read_text().count("\n") == 4


@pytest.mark.timeout(60)
def test_grade_all_writes_the_gradebook_even_when_the_grader_crashes(course, tmp_path, monkeypatch):
    submissions = tmp_path / "submissions"
    student(submissions / "ada", FIXTURE / "exercises" / "basics" / "adder.py")
    student(submissions / "bob", FIXTURE / "exercises" / "basics" / "adder.py")
    output = tmp_path / "grades"

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("course.grading.engine.grade", crash)
    with pytest.raises(KeyboardInterrupt):
        grade_class(course, [course.exercise("adder")], submissions, output, as_json)
    results = json.loads((output / "results.json").read_text())
    assert set(results) == {"ada", "bob"} and all("not graded" in r["message"] for r in results.values())
    assert (output / "gradebook.csv").exists()


@pytest.mark.timeout(30)
def test_a_run_the_grader_could_not_start_is_called_the_graders_failure(course, tmp_path, monkeypatch):
    from course.grading import sandbox

    assert sandbox.available_tools().namespaces  # root with namespaces: the run starts under NAMESPACES
    monkeypatch.setattr(sandbox, "NAMESPACES", ["sh", "-c", "echo setresuid failed >&2; exit 127", "--"])
    report = grade(course, [course.exercise("adder")], FIXTURE / "solutions")
    problem = report.results[0].problem
    assert report.score == 0 and "problem of the grader, not of your code" in problem and "setresuid" in problem, problem
    assert "the code under test ended the process" not in problem


@pytest.mark.timeout(10)
@pytest.mark.skipif(os.geteuid() != 0, reason="files of another user can be made only as root")
def test_what_the_sandbox_user_left_in_shared_folders_is_removed(tmp_path):
    """Without namespaces the sandbox user's leftovers go from every folder open to everyone,
    nested ones included (a root-owned sticky folder inside /tmp holds a user's files too)."""
    from course.grading.sandbox import _remove_owned, _shared_writable_folders

    uid = 54321
    shared = tmp_path / "shared"
    nested = shared / "open-to-all"
    nested.mkdir(parents=True)
    os.chmod(nested, 0o1777)
    left = [shared / "left-here", nested / "left-deeper", shared / "a-folder"]
    left[2].mkdir()
    (left[2] / "inside").write_text("x")
    for path in left[:2]:
        path.write_text("x")
    for path in left + [left[2] / "inside"]:
        os.chown(path, uid, uid)
    kept = shared / "someone-else"
    kept.write_text("x")

    _remove_owned(shared, uid)

    assert [p for p in left if p.exists()] == []
    assert kept.exists() and nested.exists()
    assert {Path("/tmp"), Path("/var/tmp"), Path("/dev/shm")} <= set(_shared_writable_folders())
