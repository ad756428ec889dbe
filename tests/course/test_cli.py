"""The `course` command on the fixture course: the student loop, reports and verify."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course import catalogue
from course.learner import progress

FIXTURE = Path(__file__).parent / "fixture_course"
COURSE = [sys.executable, "-m", "course.cli"]


@pytest.fixture
def course_copy(tmp_path):
    root = tmp_path / "course"
    shutil.copytree(FIXTURE, root)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "course"], check=True)
    return root


def course(root: Path, *args: str, timeout: float = 120, **env_vars: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COURSE_ROOT": str(root), "COLUMNS": "200", **env_vars}
    return subprocess.run([*COURSE, *args], cwd=root, env=env, capture_output=True, text=True, timeout=timeout)


def solve(root: Path, exercise: str) -> None:
    shutil.copyfile(root / "solutions" / "basics" / f"{exercise}.py", root / "exercises" / "basics" / f"{exercise}.py")


@pytest.mark.timeout(120)
def test_list_check_hint_and_progress_follow_the_learner(course_copy):
    listing = json.loads(course(course_copy, "list", "--json").stdout)
    assert listing["next"] == "adder" and listing["earned"] == 0 and listing["max"] == 6

    failing = course(course_copy, "check")
    assert failing.returncode == 1
    assert "adder" in failing.stdout and "0/3 points" in failing.stdout and "course hint adder 1" in failing.stdout

    hint = course(course_copy, "hint", "adder")
    assert "task 1: adds positive numbers" in hint.stdout and "Use +." in hint.stdout

    solve(course_copy, "adder")
    passing = course(course_copy, "check", "adder")
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "3/3 points" in passing.stdout

    listing = json.loads(course(course_copy, "list", "--json").stdout)
    assert listing["next"] == "counter" and listing["earned"] == 3


@pytest.mark.timeout(120)
def test_reset_restores_the_shipped_stub_keeps_a_backup_and_clears_the_score(course_copy, tmp_path):
    # The shipped copy, as setup.py makes it, holds a stub fixed after the course's first commit.
    pristine = tmp_path / "pristine"
    shutil.copytree(course_copy / "exercises", pristine)
    fixed = (pristine / "basics" / "adder.py").read_text() + "\n# fixed after the first release\n"
    (pristine / "basics" / "adder.py").write_text(fixed)
    shutil.rmtree(course_copy / ".git")  # no git needed

    solve(course_copy, "adder")
    adder = catalogue.load(course_copy).exercise("adder")
    progress.record(catalogue.load(course_copy), adder, 3, [])  # as `course check adder` records full marks
    assert json.loads(course(course_copy, "list", "--json").stdout)["earned"] == 3

    result = course(course_copy, "reset", "adder", COURSE_PRISTINE=str(pristine))
    assert result.returncode == 0, result.stderr
    assert (course_copy / "exercises" / "basics" / "adder.py").read_text() == fixed
    backups = list((course_copy / ".course" / "backups").glob("adder-*.py"))
    assert len(backups) == 1 and "return a + b" in backups[0].read_text()
    listing = json.loads(course(course_copy, "list", "--json").stdout)
    assert listing["earned"] == 0 and listing["next"] == "adder", "a reset exercise must not keep its old score"


def test_the_toolkit_ships_a_pristine_copy_of_every_stub():
    from course.learner.reset import SHIPPED

    for exercise in catalogue.load().exercises:
        assert (SHIPPED / exercise.relpath()).is_file(), f"no shipped stub for {exercise.id}: run pip install -e . (setup.py copies them)"


@pytest.mark.timeout(120)
def test_check_a_chapter_grades_and_records_each_of_its_exercises(course_copy):
    solve(course_copy, "adder")
    result = course(course_copy, "check", "basics")
    assert result.returncode == 1, "counter is still a stub: the chapter is not complete"
    assert "adder" in result.stdout and "counter" in result.stdout and "Total: 3/6 points" in result.stdout
    assert "course hint counter" in result.stdout
    listing = json.loads(course(course_copy, "list", "--json").stdout)
    assert listing["earned"] == 3 and listing["next"] == "counter"


@pytest.mark.timeout(60)
def test_hint_says_one_point_not_one_points(course_copy):
    hint = course(course_copy, "hint", "adder", "positive")
    assert hint.returncode == 0 and "(1 point)" in hint.stdout, hint.stdout
    assert "(2 points)" in course(course_copy, "hint", "adder", "2").stdout


@pytest.mark.timeout(60)
def test_hint_without_a_task_shows_the_first_task_the_last_check_failed_by_its_id(course_copy):
    loaded = catalogue.load(course_copy)
    progress.record(loaded, loaded.exercise("adder"), 1, ["negative"])  # as a check that passed task 1 records it
    hint = course(course_copy, "hint", "adder")
    assert "task 2: adds negative numbers" in hint.stdout, hint.stdout


@pytest.mark.timeout(60)
def test_unknown_ids_and_a_broken_catalogue_give_clear_errors(course_copy):
    unknown = course(course_copy, "check", "nope")
    assert unknown.returncode == 2 and "no exercise with id 'nope'" in unknown.stderr
    (course_copy / "course.toml").write_text("[[exercises]]\nid = 1\n")
    broken = course(course_copy, "list")
    assert broken.returncode == 2 and "course.toml" in broken.stderr and "'id'" in broken.stderr
    assert "Traceback" not in broken.stderr


@pytest.mark.timeout(120)
def test_gradescope_results_give_full_marks_to_solutions_and_zero_to_stubs(course_copy, tmp_path):
    for tree, expected in (("solutions", 6), ("exercises", 0)):
        output = tmp_path / f"{tree}.json"
        result = course(course_copy, "grade", "--against", tree, "--format", "gradescope", "--output", str(output))
        assert result.returncode == 0, result.stderr
        data = json.loads(output.read_text())
        assert data["score"] == expected and data["max_score"] == 6
        assert {"score", "execution_time", "output", "tests"} <= set(data)
        for test in data["tests"]:
            assert {"name", "number", "score", "max_score", "status", "output", "visibility"} <= set(test)
        assert sum(t["score"] for t in data["tests"]) == expected


@pytest.mark.timeout(60)
def test_a_results_file_is_written_even_when_grading_cannot_start(course_copy, tmp_path):
    (course_copy / "course.toml").write_text("not toml [")
    output = tmp_path / "results.json"
    result = course(course_copy, "grade", "--format", "gradescope", "--output", str(output))
    assert result.returncode == 2
    data = json.loads(output.read_text())
    assert data["score"] == 0 and "not valid TOML" in data["output"]


@pytest.mark.timeout(180)
def test_grade_all_writes_a_gradebook(course_copy, tmp_path):
    submissions = tmp_path / "submissions"
    for student, source in (("ada", "solutions"), ("bob", "exercises")):
        shutil.copytree(course_copy / source, submissions / student)
    result = course(course_copy, "grade-all", str(submissions), "--output", str(tmp_path / "grades"))
    assert result.returncode == 0, result.stderr
    rows = (tmp_path / "grades" / "gradebook.csv").read_text().splitlines()
    assert rows[0].startswith("student,adder,counter,total")
    assert rows[1].startswith("ada,3,3,6,6") and rows[2].startswith("bob,0,0,0,6")


@pytest.mark.timeout(240)
def test_verify_passes_and_names_an_offender_when_a_solution_is_replaced_by_its_stub(course_copy):
    good = course(course_copy, "verify")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "counter__no_lock" in good.stdout and "adder__subtracts" in good.stdout
    shutil.copyfile(course_copy / "exercises" / "basics" / "adder.py", course_copy / "solutions" / "basics" / "adder.py")
    bad = course(course_copy, "verify", "adder")
    assert bad.returncode == 1
    assert "offender: adder solution" in bad.stderr


@pytest.mark.timeout(240)
def test_verify_in_parallel_gives_the_same_checks_in_the_same_order(course_copy):
    from course.grading.verify import verify

    course_catalogue = catalogue.load(course_copy)
    exercises = course_catalogue.select([])
    serial = verify(course_catalogue, exercises)
    parallel = verify(course_catalogue, exercises, jobs=3)
    assert [(c.exercise.id, c.subject, c.ok) for c in parallel] == [(c.exercise.id, c.subject, c.ok) for c in serial]
    assert all(c.ok for c in parallel), [c.detail for c in parallel if not c.ok]
