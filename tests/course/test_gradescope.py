"""`course gradescope`: the zip unpacked into a fake /autograder (AUTOGRADER_ROOT), its
run_autograder run as Gradescope runs it, against a correct and a failing submission."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from course import catalogue

COURSE = catalogue.load()
ROOT = COURSE.root
CHAPTER = "ch01_concepts"  # four exercises that grade in seconds
EXERCISES = COURSE.chapter_exercises(CHAPTER)
TEST_KEYS = {"name", "number", "score", "max_score", "status", "output", "visibility"}
pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    zip_path = tmp_path_factory.mktemp("gradescope") / "autograder.zip"
    result = subprocess.run([str(Path(sys.executable).parent / "course"), "gradescope", str(zip_path), "--chapters", CHAPTER],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return zip_path


def unpack(zip_path: Path, autograder: Path) -> Path:
    """What Gradescope does: the zip into source/, run_autograder copied to the root (modes kept)."""
    source = autograder / "source"
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            archive.extract(info, source)
            os.chmod(source / info.filename, (info.external_attr >> 16) & 0o777)
    shutil.copy2(source / "run_autograder", autograder / "run_autograder")
    return source


@pytest.fixture(scope="module")
def autograder(package, tmp_path_factory, student_venv) -> Path:
    root = tmp_path_factory.mktemp("autograder")
    source = unpack(package, root)
    student_venv(source / "course")  # what setup.sh installs, made from this environment
    return root


def run_autograder(root: Path, submission: Path) -> dict:
    shutil.rmtree(root / "submission", ignore_errors=True)
    shutil.rmtree(root / "results", ignore_errors=True)
    shutil.copytree(submission, root / "submission")
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_ROOT", "VIRTUAL_ENV", "COURSE_TREE")}
    result = subprocess.run([str(root / "run_autograder")], cwd=root, capture_output=True, text=True, timeout=500,
                            env={**env, "AUTOGRADER_ROOT": str(root)})
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return json.loads((root / "results" / "results.json").read_text())


def check_shape(results: dict) -> None:
    assert {"score", "execution_time", "output", "visibility", "tests"} <= set(results)
    names = [f"{e.id}: {t.title}" for e in EXERCISES for t in e.tasks]
    assert [t["name"] for t in results["tests"]] == names
    for test in results["tests"]:
        assert TEST_KEYS <= set(test), test
        assert test["status"] in ("passed", "failed") and test["visibility"] == "visible"
        assert test["score"] == (test["max_score"] if test["status"] == "passed" else 0)
    assert [t["max_score"] for t in results["tests"]] == [t.points for e in EXERCISES for t in e.tasks]
    assert [t["number"] for t in results["tests"]] == [f"{i}.{t.number}" for i, e in enumerate(EXERCISES, 1) for t in e.tasks]
    assert results["score"] == sum(t["score"] for t in results["tests"])


def test_the_package_has_the_scripts_and_no_answers(package):
    with zipfile.ZipFile(package) as archive:
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in archive.infolist()}
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert "course/course.toml" in modes and "course/tests/exercises/ch01_concepts/test_amdahl.py" in modes
    answers = [n for n in modes if {"solutions", "buggy"} & set(n.split("/")[:-1]) or n.endswith(".survivors.toml")]
    assert not answers, answers
    assert not any(n.startswith("course/book/") for n in modes), "the autograder needs no book"
    assert not any(n.startswith("course/exercises/ch02") for n in modes), "only the chosen chapters"


def test_setup_sh_is_valid_bash_that_installs_the_course(package, tmp_path):
    source = unpack(package, tmp_path)
    assert subprocess.run(["bash", "-n", str(source / "setup.sh")], timeout=30).returncode == 0
    text = (source / "setup.sh").read_text()
    assert 'pip install' in text and '-e "$course"' in text and "python3.11" in text


def test_a_correct_submission_earns_every_point(autograder, tmp_path):
    submission = tmp_path / "correct"
    submission.mkdir()
    for exercise in EXERCISES:  # Gradescope's usual upload: the files, flat
        shutil.copyfile(ROOT / "solutions" / exercise.relpath(), submission / f"{exercise.module}.py")
    results = run_autograder(autograder, submission)
    check_shape(results)
    assert results["score"] == sum(e.max_points for e in EXERCISES), json.dumps(results, indent=1)[:3000]
    assert all(t["status"] == "passed" and t["output"] == "" for t in results["tests"])


def test_a_failing_submission_loses_its_unfinished_tasks_and_says_why(autograder, tmp_path):
    repository = tmp_path / "repository"  # a GitHub upload: the whole repository
    shutil.copytree(ROOT / "exercises", repository / "exercises")
    amdahl = COURSE.exercise("amdahl")
    shutil.copyfile(ROOT / "solutions" / amdahl.relpath(), repository / "exercises" / amdahl.relpath())
    results = run_autograder(autograder, repository)
    check_shape(results)
    assert results["score"] == amdahl.max_points
    for test in results["tests"]:
        solved = test["name"].startswith("amdahl:")
        assert test["status"] == ("passed" if solved else "failed"), test
        assert solved or test["output"].strip(), f"a failed task must say why: {test}"


def test_a_results_file_is_written_even_when_the_course_cannot_start(package, tmp_path):
    unpack(package, tmp_path)  # no setup.sh run: no .venv
    results = run_autograder(tmp_path, ROOT / "exercises")
    assert results["score"] == 0 and "autograder failed" in results["output"] and results["tests"] == []
