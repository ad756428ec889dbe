"""`course release`: a student repository with no answers in it, whose own `make test` passes
and whose GitHub Classroom steps grade natively.

The whole course is released once per module (the capstone page ships as the notebook
the course's own book build executed, so a stale book is built first).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from course import catalogue
from course.instructor import release as release_module

COURSE = catalogue.load()
ROOT = COURSE.root
pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def release(tmp_path_factory, student_venv):
    out = tmp_path_factory.mktemp("release") / "student"
    result = subprocess.run([str(Path(sys.executable).parent / "course"), "release", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=850)
    assert result.returncode == 0, result.stdout + result.stderr
    student_venv(out)
    return out


def released_files(out: Path) -> list[Path]:
    skipped = {".git", ".venv", "_build", "__pycache__", ".pytest_cache"}
    return [p for p in out.rglob("*") if p.is_file() and not skipped & set(p.relative_to(out).parts)]


def test_the_release_has_the_students_files_and_none_of_the_answers(release):
    files = {p.relative_to(release).as_posix() for p in released_files(release)}
    for exercise in COURSE.exercises:
        assert f"exercises/{exercise.relpath().as_posix()}" in files
        assert f"tests/exercises/{exercise.chapter}/test_{exercise.module}.py" in files
    for expected in ("README.md", "Makefile", "course.toml", "pyproject.toml", "setup.py",
                     ".github/workflows/classroom.yml", "book/_toc.yml", "book/mistakes.json", "src/course/cli.py"):
        assert expected in files, f"{expected} is missing from the release"
    answers = [f for f in files if {"solutions", "buggy"} & set(f.split("/")[:-1]) or f.endswith(".survivors.toml")]
    assert not answers, f"answers in the release: {answers[:5]}"
    instructor_only = [f for f in files if f in ("Dockerfile", "docker-compose.yml", "book/instructors.md")
                       or f.startswith((".ci/", "tests/classroom/"))]
    assert not instructor_only, instructor_only
    log = subprocess.run(["git", "log", "--oneline"], cwd=release, capture_output=True, text=True, timeout=30)
    assert log.returncode == 0 and len(log.stdout.splitlines()) == 1, "the release is a repository with one commit"


def distinctive_solution_lines() -> dict[str, set[str]]:
    """Each solution's lines (20+ characters, not comments) that no tracked non-answer file has.

    Found with git and plain substring search, independently of course.instructor.release.
    """
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True,
                             timeout=60).stdout.split("\0")
    others = "\n".join(
        (ROOT / name).read_text(errors="replace") for name in tracked
        if name and (ROOT / name).is_file() and not name.startswith(("solutions/", "tests/buggy/"))
        and not name.endswith(".survivors.toml")
    )
    found = {}
    for exercise in COURSE.exercises:
        lines = {line.strip() for line in (ROOT / "solutions" / exercise.relpath()).read_text().splitlines()}
        found[exercise.id] = {line for line in lines if len(line) >= 20 and not line.startswith("#") and line not in others}
    return found


def grep_fixed(patterns: set[str], folder: Path) -> list[str]:
    """`grep -rF` for any of the patterns under folder: the files and lines it matched."""
    pattern_file = folder.parent / f"patterns-{folder.name}.txt"
    pattern_file.write_text("\n".join(sorted(patterns)) + "\n")
    try:
        result = subprocess.run(["grep", "-rnF", "--exclude-dir=.venv", "--exclude-dir=.git", "-f", str(pattern_file),
                                 str(folder)], capture_output=True, text=True, timeout=120)
    finally:
        pattern_file.unlink()
    assert result.returncode in (0, 1), result.stderr
    return result.stdout.splitlines()


def test_no_line_of_any_solution_is_anywhere_in_the_release(release):
    distinctive = distinctive_solution_lines()
    thin = {e: len(lines) for e, lines in distinctive.items() if len(lines) < 5}
    assert not thin, f"too few distinctive lines to search for: {thin}"
    every = set().union(*distinctive.values())
    # The search itself works: it finds every solution in the course's own solutions/.
    hits = grep_fixed(every, ROOT / "solutions")
    for exercise in COURSE.exercises:
        assert any(f"/{exercise.relpath().as_posix()}:" in hit for hit in hits), f"the search misses {exercise.id}"
    leaks = grep_fixed(every | {json.dumps(line)[1:-1] for line in every}, release)  # notebooks are JSON
    assert not leaks, "solution lines in the release:\n" + "\n".join(leaks[:10])


def test_the_capstone_page_ships_executed_with_its_figures_and_not_executed_again(release):
    book = release / "book"
    assert not (book / "ch07_capstone.md").exists()
    notebook = json.loads((book / "ch07_capstone.ipynb").read_text())
    outputs = [o for cell in notebook["cells"] if cell["cell_type"] == "code" for o in cell.get("outputs", [])]
    assert any("image/png" in o.get("data", {}) for o in outputs), "the capstone's figures are not in the notebook"
    config = yaml.safe_load((book / "_config.yml").read_text())
    assert config["execute"]["exclude_patterns"] == ["ch07_capstone.ipynb"]
    assert config["execute"]["execute_notebooks"] == "force", "the other pages still run when the book is built"
    mistakes = json.loads((book / "mistakes.json").read_text())
    assert mistakes == {c.id: [list(m) for m in COURSE.mistakes(c.id)] for c in COURSE.chapters}


def test_the_release_make_test_passes(release):
    result = subprocess.run(["make", "test"], cwd=release, capture_output=True, text=True, timeout=600,
                            env={k: v for k, v in os.environ.items() if k not in ("COURSE_ROOT", "VIRTUAL_ENV")})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "test_stubs_import.py" in result.stdout, result.stdout[-2000:]
    assert "tests/exercises" not in result.stdout, "the graded tests are not the release's suite"


def classroom_steps(release: Path) -> list[dict]:
    workflow = yaml.safe_load((release / ".github" / "workflows" / "classroom.yml").read_text())
    steps = workflow["jobs"]["run-autograding-tests"]["steps"]
    return [s for s in steps if s.get("uses", "").startswith("classroom-resources/autograding-command-grader")]


def run_step(release: Path, step: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_ROOT", "VIRTUAL_ENV", "COURSE_TREE")}
    return subprocess.run(step["with"]["command"], shell=True, cwd=release, capture_output=True, text=True,
                          timeout=step["with"]["timeout"] * 60, env=env)


def test_there_is_one_classroom_step_per_exercise_worth_its_points(release):
    steps = classroom_steps(release)
    assert [s["id"] for s in steps] == [e.id for e in COURSE.exercises]
    assert [s["with"]["max-score"] for s in steps] == [e.max_points for e in COURSE.exercises]
    reporter = [s for s in yaml.safe_load((release / ".github/workflows/classroom.yml").read_text())
                ["jobs"]["run-autograding-tests"]["steps"] if "grading-reporter" in s.get("uses", "")]
    assert reporter and reporter[0]["with"]["runners"].split(",") == [e.id for e in COURSE.exercises]
    assert set(reporter[0]["env"]) == {f"{e.id.upper()}_RESULTS" for e in COURSE.exercises}


def graded_with(release: Path, exercise, text: str | None, step: dict) -> subprocess.CompletedProcess:
    """Run `step` with the exercise's file in the release replaced by text (None: as shipped)."""
    stub = release / "exercises" / exercise.relpath()
    if text is not None:
        stub.write_text(text)
    try:
        return run_step(release, step)
    finally:
        subprocess.run(["git", "checkout", "-q", "--", str(stub)], cwd=release, check=True, timeout=30)


def test_every_classroom_step_runs_natively_and_fails_work_that_is_not_done(release):
    """Each step's own command, in the release. Work not done is a file that does not
    import (graded in a second: no test can start); the shipped stub of one exercise
    too, scored 0 by its tests. course verify proves every stub scores 0 in the course."""
    steps = {s["id"]: s for s in classroom_steps(release)}
    for exercise in COURSE.exercises:
        result = graded_with(release, exercise, "this is not Python yet\n", steps[exercise.id])
        assert result.returncode == 1, f"{steps[exercise.id]['with']['command']} exited {result.returncode}: {result.stderr[-2000:]}"
        report = json.loads(result.stdout)
        assert (report["score"], report["max_score"]) == (0, exercise.max_points)
        assert [e["id"] for e in report["exercises"]] == [exercise.id] and report["exercises"][0]["problem"]
    shipped = graded_with(release, COURSE.exercise("amdahl"), None, steps["amdahl"])
    assert shipped.returncode == 1 and json.loads(shipped.stdout)["score"] == 0, shipped.stdout[-2000:]


def test_a_classroom_step_passes_when_the_exercise_earns_full_marks(release):
    exercise = COURSE.exercise("amdahl")
    step = next(s for s in classroom_steps(release) if s["id"] == exercise.id)
    result = graded_with(release, exercise, (ROOT / "solutions" / exercise.relpath()).read_text(), step)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert json.loads(result.stdout)["score"] == exercise.max_points


def test_a_release_of_some_chapters_has_only_those(tmp_path):
    out = tmp_path / "ch02"
    made = release_module.build_release(ROOT, out, ["ch02_threading"], git=False)
    assert made.executed_pages == []
    released = catalogue.load(out)
    assert [c.id for c in released.chapters] == ["ch02_threading"]
    assert [e.id for e in released.exercises] == [e.id for e in COURSE.chapter_exercises("ch02_threading")]
    assert sorted(p.name for p in (out / "exercises").iterdir() if p.is_dir()) == ["ch02_threading"]
    assert not (out / "labs" / "ch01_concepts").exists() and not (out / "book" / "ch01_concepts.md").exists()
    toc = yaml.safe_load((out / "book" / "_toc.yml").read_text())
    assert [entry["file"] for entry in toc["chapters"]] == ["ch02_threading"]
    intro = (out / "book" / "intro.md").read_text()
    assert "{doc}`ch01_concepts`" not in intro and "`ch01_concepts`" in intro, "no link to a page not shipped"
    assert json.loads((out / "book" / "mistakes.json").read_text()).keys() == {"ch02_threading"}
    suggested = re.findall(r"labs\.(\w+)\.(\w+)", (out / "Makefile").read_text())
    assert suggested and all((out / "labs" / c / f"{m}.py").is_file() for c, m in suggested), suggested
    steps = yaml.safe_load((out / ".github/workflows/classroom.yml").read_text())["jobs"]["run-autograding-tests"]["steps"]
    assert [s["id"] for s in steps if "id" in s] == [e.id for e in released.exercises]


def test_a_release_refuses_a_folder_in_use_and_an_unknown_chapter(tmp_path):
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("mine")
    with pytest.raises(release_module.ReleaseError, match="not empty"):
        release_module.build_release(ROOT, used)
    assert [p.name for p in used.iterdir()] == ["notes.txt"]
    with pytest.raises(catalogue.CatalogueError, match="no chapter 'ch09_nope'.*known: ch01_concepts"):
        release_module.build_release(ROOT, tmp_path / "new", ["ch09_nope"])
    with pytest.raises(release_module.ReleaseError, match="inside the course"):
        release_module.build_release(ROOT, ROOT / "out" / "release")


def test_a_solution_line_written_into_a_release_is_found(tmp_path):
    exercise = COURSE.exercise("bank_account")
    line = sorted(release_module.distinctive_lines(ROOT, [exercise]))[0]
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "page.ipynb").write_text(json.dumps({"outputs": [f"    {line}\n"]}))
    assert release_module.solution_leaks(COURSE, [exercise], tmp_path) == [f"book/page.ipynb: bank_account: {line}"]


def test_a_release_with_a_solution_line_in_it_fails_and_leaves_nothing(tmp_path, monkeypatch):
    line = sorted(release_module.distinctive_lines(ROOT, [COURSE.exercise("rw_lock")]))[0]
    readme = release_module.student_readme
    monkeypatch.setattr(release_module, "student_readme", lambda *args: readme(*args) + f"\n    {line}\n")
    out = tmp_path / "leaky"
    with pytest.raises(release_module.ReleaseError, match=r"README\.md: rw_lock: "):
        release_module.build_release(ROOT, out, ["ch02_threading"], git=False)
    assert not out.exists(), "a release that gives an answer away must not be left behind"
