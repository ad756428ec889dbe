"""`course release OUT [--chapters ...]`: the repository students clone, without the answers.

A clone of the course holds every reference solution and every known-buggy variant
(most variants are patches of a solution), so it cannot be handed to a class. A
release is a fresh repository with what a student needs:

    exercises/, labs/        the stubs and the labs of the chosen chapters
    tests/exercises/         the graded tests, so `course check` works offline (the
                             instructor grades with their own copy: a student's edits
                             to these tests change nobody's grade)
    tests/course/            the toolkit's tests that hold without the course's
                             solutions, and a check that every stub imports: `make test`
    book/                    the pages of the chosen chapters; "Common mistakes" as
                             words (book/mistakes.json), never the variants' code
    src/, setup.py, pyproject.toml, course.toml (only the chosen chapters)
    README.md, Makefile      for students: `make start` and `make test`
    .github/workflows/classroom.yml   GitHub Classroom autograding, one step per exercise

and never: solutions/, tests/buggy/, the mutation survivor lists (each names a line
of a solution), the instructor's page, the Docker files, CI, the course's history.

A page whose executed cells run the reference solution (the capstone page draws its
figures with the reference `dmap`) cannot run in a release. It ships as the notebook
the instructor's own book build executed, outputs kept and execution switched off for
it, so students see the same figures and none of the code that made them.

Before it returns, the release is searched for every solution's distinctive lines;
one found anywhere (a page, a notebook's output, a test) fails the command.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from course import catalogue as catalogue_module
from course.catalogue import Catalogue, CatalogueError, Exercise

console = Console(highlight=False)

# The toolkit's tests that hold in a release, quickly (`make test` there takes seconds).
# Left out: those that need the course's solutions (bench, capstone), Docker, tens of
# seconds (pacing, security), or the toolkit's small fixture course (it has a
# solutions/ and a tests/buggy/ of its own: a release has none, not even a toy one).
TOOLKIT_TESTS = (
    "conftest.py",
    "test_stubs_import.py",
    "test_command_table.py",
    "test_feedback.py",
    "test_import_graph.py",
)
INSTRUCTOR_PAGES = ("instructors",)  # book pages for instructors only
TOP_FILES = ("setup.py", ".gitignore")
NEVER = ("__pycache__", "*.pyc", ".pytest_cache", ".ipynb_checkpoints", "_build", "*.survivors.toml", "*.egg-info")
# A code cell that loads the reference solution (the capstone's figures run its dmap).
RUNS_REFERENCE = re.compile(r"import_dmap\(\s*\)|[\"']solutions[\"']")
DISTINCTIVE = 20  # a solution line this long (stripped) that no other course file has is an answer
WORKFLOW = Path(".github") / "workflows" / "classroom.yml"


class ReleaseError(Exception):
    """The release cannot be made (or would give answers away); the message says why."""


@dataclass
class Release:
    out: Path
    chapters: list[str]
    exercises: list[Exercise]
    executed_pages: list[str]  # pages shipped as notebooks run by the instructor's build


def build_release(root: Path, out: Path, chapters: list[str] | None = None, *, book: bool = True,
                  git: bool = True) -> Release:
    """Write the student repository for `chapters` (default: all) into the new folder `out`."""
    catalogue = catalogue_module.load(root)
    chosen = _chosen_chapters(catalogue, chapters)
    exercises = [e for e in catalogue.exercises if e.chapter in chosen]
    out = out.resolve()
    if out.exists() and any(out.iterdir()):
        raise ReleaseError(f"{out} exists and is not empty: a release is written into a new folder")
    if root.resolve() in (out, *out.parents):
        raise ReleaseError(f"{out} is inside the course ({root}): write the release somewhere else")
    out.mkdir(parents=True, exist_ok=True)
    try:
        executed = _write_release(catalogue, out, chosen, exercises, book)
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)  # it was empty: no half-made release, none with answers
        raise
    if git:
        _commit(out)
    return Release(out, chosen, exercises, executed)


def _write_release(catalogue: Catalogue, out: Path, chosen: list[str], exercises: list[Exercise], book: bool) -> list[str]:
    root = catalogue.root
    ignore = shutil.ignore_patterns(*NEVER)
    for name in TOP_FILES:
        shutil.copyfile(root / name, out / name)
    shutil.copytree(root / "src", out / "src", ignore=shutil.ignore_patterns(*NEVER, "pristine"))
    for tree in ("exercises", "labs", "tests/exercises"):
        for init in (root / tree).glob("*.py"):
            _copy_file(init, out / tree / init.name)
        for chapter in chosen:
            if (root / tree / chapter).is_dir():
                shutil.copytree(root / tree / chapter, out / tree / chapter, ignore=ignore)
    _copy_file(root / "tests" / "conftest.py", out / "tests" / "conftest.py")
    for name in TOOLKIT_TESTS:
        _copy_file(root / "tests" / "course" / name, out / "tests" / "course" / name)
    (out / "course.toml").write_text(catalogue_text(catalogue.path.read_text(encoding="utf-8"), chosen))
    (out / "pyproject.toml").write_text(_student_pyproject((root / "pyproject.toml").read_text()))
    (out / "Makefile").write_text(student_makefile((root / "Makefile").read_text(), out))
    (out / "README.md").write_text(student_readme(catalogue, chosen, exercises))
    (out / WORKFLOW).parent.mkdir(parents=True)
    (out / WORKFLOW).write_text(classroom_workflow(exercises))
    executed = _write_book(catalogue, out, chosen) if book else []

    released = catalogue_module.load(out)  # the release's own catalogue must load, files and all
    if [e.id for e in released.exercises] != [e.id for e in exercises]:
        raise ReleaseError(f"{out / 'course.toml'} lists {[e.id for e in released.exercises]}, expected "
                           f"{[e.id for e in exercises]}")
    leaks = solution_leaks(catalogue, exercises, out)
    if leaks:
        raise ReleaseError("the release contains solution code; it is not safe to hand out:\n  " + "\n  ".join(leaks))
    return executed


def _chosen_chapters(catalogue: Catalogue, names: list[str] | None) -> list[str]:
    known = [chapter.id for chapter in catalogue.chapters]
    unknown = [name for name in names or () if name not in known]
    if unknown:
        raise CatalogueError(f"{catalogue.path}: no chapter {', '.join(map(repr, unknown))} (known: {', '.join(known)})")
    return [chapter for chapter in known if not names or chapter in names]


def _copy_file(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


# ---------------------------------------------------------------- course.toml

_BLOCK = re.compile(r"^\[\[(chapters|exercises)\]\]\s*$")
_SECTION = re.compile(r"^# ---- (\S+) ----\s*$")


def catalogue_text(text: str, chapters: list[str]) -> str:
    """course.toml with only the chapters kept: their [[chapters]], their section and exercises.

    Done on the text, so the comments stay; the caller loads the result to check it.
    """
    pieces: list[list[str]] = [[]]
    for line in text.splitlines(keepends=True):
        if _BLOCK.match(line) or _SECTION.match(line):
            pieces.append([])
        pieces[-1].append(line)
    kept = pieces[0]
    for piece in pieces[1:]:
        first, body = piece[0], "".join(piece)
        if section := _SECTION.match(first):
            chapter = section[1]
        else:
            key = "id" if first.startswith("[[chapters]]") else "chapter"
            found = re.search(rf'^{key}\s*=\s*"([^"]*)"', body, re.M)
            chapter = found[1] if found else None
        if chapter in chapters:
            kept += piece
    return "".join(kept)


# ---------------------------------------------------------------- Makefile, pyproject, README


def student_makefile(text: str, out: Path) -> str:
    """The course's Makefile with `make test` running the release's suite, and no verify or bench.

    The graded tests are not the suite: against the stubs they fail until the work
    is done (`course check` runs them). verify and bench need the solutions. The lab
    `make start` suggests is one the release has.
    """
    shipped = sorted(p for p in (out / "labs").glob("ch*/*.py") if not p.stem.startswith("_"))

    def lab_in_release(match: re.Match) -> str:
        if (out / match[0].replace(".", "/")).with_suffix(".py").is_file() or not shipped:
            return match[0]
        return f"labs.{shipped[0].parent.name}.{shipped[0].stem}"

    text = re.sub(r"labs\.ch\w+\.\w+", lab_in_release, text)
    recipe = re.compile(r"^(test: setup\n)\t.*\n", re.M)
    if not recipe.search(text):
        raise ReleaseError("the course's Makefile has no `test: setup` recipe to adapt")
    text = recipe.sub(r"\1\t$(BIN)/python -m pytest tests/course\n", text)
    text = re.sub(r"^(verify|bench): setup\n(\t.*\n)+\n?", "", text, flags=re.M)
    return text.replace(" verify bench", "")


def _student_pyproject(text: str) -> str:
    """Plain `pytest` runs the release's suite, not the graded tests (they default to solutions/)."""
    return text.replace('testpaths = ["tests"]', 'testpaths = ["tests/course"]')


def student_readme(catalogue: Catalogue, chapters: list[str], exercises: list[Exercise]) -> str:
    titles = {chapter.id: chapter.title for chapter in catalogue.chapters}
    rows = "\n".join(
        f"| `{e.id}` | {titles[e.chapter]} | {e.title} | {e.max_points} |" for e in exercises
    )
    first = exercises[0].id if exercises else "ID"
    loop = "\n".join(f"{command:<38}# {comment}" for command, comment in (
        (".venv/bin/course list", "chapters, exercises, points, what is next"),
        (".venv/bin/course check", "grade the next unfinished exercise; exit 0 on full marks"),
        (f".venv/bin/course check {first}", "or one exercise, or a whole chapter"),
        (f".venv/bin/course hint {first} [TASK]", "a hint for a task"),
        (".venv/bin/course watch", "re-check whenever you save"),
        (f".venv/bin/course reset {first}", "restore the stub (your version goes to .course/backups)"),
        (".venv/bin/python -m labs.CHAPTER.NAME", "run a lab"),
    ))
    return f"""# {catalogue.title}

Your copy of the course: the book, runnable labs and the exercises you fill in.
Every exercise is checked by tests built to make concurrency bugs show (races
provoked on purpose, parallelism proven by observed overlap, deadlocks caught by
timeouts that print every thread's stack). The reference solutions are not here.

## Quick start

You need Python 3.11 or newer, `git` and `make` (Linux or macOS; on Windows, WSL).

```
make start    # sets up .venv, builds the book, shows your progress and the first exercise
make test     # checks that the course's tools work here (not your exercises)
```

Then, without activating anything:

```
{loop}
```

The book is in `book/_build/html/index.html` once `make start` has run. You edit
only the files in `exercises/`; `course check` runs the graded tests in
`tests/exercises/` against them. Changing those tests changes nothing but your own
view: your instructor grades with their own copy.

## Handing in

Commit and push. If your course uses GitHub Classroom, every push runs
`.github/workflows/classroom.yml`: one check per exercise, which earns the
exercise's points when `course check` would give it full marks. The same command
runs here: `.venv/bin/course grade ID --format json --require-full-marks`.

## Exercises

| id | chapter | exercise | points |
|---|---|---|---|
{rows}

## Layout

| path | what |
|---|---|
| `exercises/` | the stubs you fill in |
| `labs/` | demonstrations: `.venv/bin/python -m labs.CHAPTER.NAME` |
| `book/` | the book's sources |
| `tests/exercises/` | the graded tests `course check` runs |
| `tests/course/` | the tests `make test` runs: the course's tools, and that every stub imports |
| `course.toml` | the exercises, their tasks, points and hints |
| `src/course/` | the `course` command |
"""


# ---------------------------------------------------------------- GitHub Classroom


def classroom_workflow(exercises: list[Exercise]) -> str:
    """GitHub Classroom's autograding workflow: one command-grader step per exercise.

    A command-grader step awards its max-score when its command exits 0, so each
    runs `course grade ID --format json --require-full-marks` (exit 1 short of full
    marks; the JSON report is the step's output). The course is installed once, in
    a step of its own, so no grading step's timeout pays for the install. Values are
    written as JSON strings, which YAML reads as they are.
    """
    q = json.dumps
    steps = []
    for exercise in exercises:
        minutes = math.ceil(2 * exercise.timeout / 60) + 1  # the sandbox and a slow runner
        steps.append(
            f"    - name: {q(exercise.id)}\n"
            f"      id: {q(exercise.id)}\n"
            f"      uses: classroom-resources/autograding-command-grader@v1\n"
            f"      with:\n"
            f"        test-name: {q(f'{exercise.id}: {exercise.title}')}\n"
            f"        setup-command: ''\n"
            f"        command: {q(grade_command(exercise))}\n"
            f"        timeout: {minutes}\n"
            f"        max-score: {exercise.max_points}\n"
        )
    env = "".join(f"        {e.id.upper()}_RESULTS: \"${{{{steps.{e.id}.outputs.result}}}}\"\n" for e in exercises)
    runners = ",".join(e.id for e in exercises)
    return (
        "# GitHub Classroom autograding, written by `course release`: one step per exercise,\n"
        "# worth the exercise's points when it earns full marks.\n"
        "name: Autograding Tests\n"
        "'on':\n- push\n- workflow_dispatch\n- repository_dispatch\n"
        "permissions:\n  checks: write\n  actions: read\n  contents: read\n"
        "jobs:\n  run-autograding-tests:\n    runs-on: ubuntu-latest\n"
        "    if: github.actor != 'github-classroom[bot]'\n"
        "    steps:\n"
        "    - name: Checkout code\n      uses: actions/checkout@v4\n"
        "    - name: Python 3.11\n      uses: actions/setup-python@v5\n      with:\n        python-version: '3.11'\n"
        "    - name: Install the course\n      run: make setup\n"
        + "".join(steps)
        + "    - name: Autograding Reporter\n"
        "      uses: classroom-resources/autograding-grading-reporter@v1\n"
        f"      env:\n{env}"
        f"      with:\n        runners: {runners}\n"
    )


def grade_command(exercise: Exercise) -> str:
    return f".venv/bin/course grade {exercise.id} --format json --require-full-marks"


# ---------------------------------------------------------------- the book


def _write_book(catalogue: Catalogue, out: Path, chapters: list[str]) -> list[str]:
    """Copy the book for `chapters`; return the pages shipped as executed notebooks."""
    source = catalogue.root / "book"
    dropped = [c.id for c in catalogue.chapters if c.id not in chapters] + list(INSTRUCTOR_PAGES)
    shutil.copytree(source, out / "book", ignore=shutil.ignore_patterns(*NEVER, *(f"{name}.md" for name in dropped)))
    book = out / "book"
    toc = (book / "_toc.yml").read_text()
    toc = "".join(line for line in toc.splitlines(keepends=True)
                  if not re.fullmatch(rf"\s*- file: ({'|'.join(map(re.escape, dropped))})\s*", line))
    (book / "_toc.yml").write_text(toc)
    mistakes = {chapter: catalogue.mistakes(chapter) for chapter in chapters}
    (book / "mistakes.json").write_text(json.dumps(mistakes, indent=1) + "\n")
    executed = []
    for page in sorted(book.glob("*.md")):
        text = re.sub(rf"\{{doc\}}`({'|'.join(map(re.escape, dropped))})`", r"`\1`", page.read_text())
        page.write_text(text)
        if RUNS_REFERENCE.search(_code_cells(text)):
            executed.append(page.stem)
    if executed:
        notebooks = _executed_notebooks(catalogue.root, executed)
        for page in executed:
            (book / f"{page}.md").unlink()
            shutil.copyfile(notebooks / f"{page}.ipynb", book / f"{page}.ipynb")
        config = (book / "_config.yml").read_text()
        patterns = ", ".join(f"{page}.ipynb" for page in executed)
        note = "  # run by the instructor's build: these pages need the reference solutions\n"
        (book / "_config.yml").write_text(config.replace("execute:\n", f"execute:\n{note}  exclude_patterns: [{patterns}]\n", 1))
    return executed


def _code_cells(page: str) -> str:
    return "\n".join(re.findall(r"^```\{code-cell\}[^\n]*\n(.*?)^```", page, re.M | re.S))


def _executed_notebooks(root: Path, pages: list[str]) -> Path:
    """The folder of notebooks the course's own book build executed (built first if stale)."""
    from course import book

    if not book.up_to_date(root):
        console.print("Building the course's book first: "
                      f"{', '.join(pages)} run the reference solution and ship as executed notebooks.")
        if book.build(root, console=console) != 0:
            raise ReleaseError("the course's book does not build, so its executed pages cannot be shipped")
    folder = book.book_dir(root) / "_build" / "jupyter_execute"
    missing = [page for page in pages if not (folder / f"{page}.ipynb").is_file()]
    if missing:
        raise ReleaseError(f"no executed notebook for {', '.join(missing)} in {folder}: run `course book --force`")
    return folder


# ---------------------------------------------------------------- the answers must not ship


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return ""


def _answer_file(relative: Path) -> bool:
    """Files that hold or show answers: solutions, buggy variants, mutation survivor lists."""
    parts = relative.parts
    return (parts[:1] == ("solutions",) or parts[:2] == ("tests", "buggy")
            or relative.name.endswith(".survivors.toml"))


def _course_files(root: Path):
    """Every file the course's authors wrote (no hidden folders, venvs, builds or caches)."""
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if path.is_file() and not any(part.startswith(".") or part in ("_build", "__pycache__", "pristine")
                                      for part in relative.parts):
            yield path, relative


def distinctive_lines(root: Path, exercises: list[Exercise]) -> dict[str, str]:
    """{line: exercise id}: the lines of each reference solution found in no other course file.

    A line the stub, a lab, a page, a test or the toolkit also has, even inside a longer
    line (an import, `with self._lock:`), gives nothing away; one only the solution has is its answer. Short
    lines and comments are left out.
    """
    shared = "\n".join(_text(path) for path, relative in _course_files(root) if not _answer_file(relative))
    found = {}
    for exercise in exercises:
        for line in _text(root / "solutions" / exercise.relpath()).splitlines():
            line = line.strip()
            if len(line) >= DISTINCTIVE and not line.startswith("#") and line not in shared:
                found[line] = exercise.id
    return found


def solution_leaks(catalogue: Catalogue, exercises: list[Exercise], out: Path) -> list[str]:
    """Where in `out` a distinctive line of a solution appears, as "path: exercise: line"."""
    wanted = distinctive_lines(catalogue.root, exercises)
    leaks = []
    for path, relative in _course_files(out):
        text = _text(path)
        leaks += [f"{relative}: {exercise}: {line}" for line, exercise in wanted.items()
                  if line in text or json.dumps(line)[1:-1] in text]  # as written, or inside a notebook's JSON
    return leaks


def _commit(out: Path) -> None:
    """Make the release a repository with one commit (GitHub Classroom's template repository)."""
    git = shutil.which("git")
    if git is None:
        console.print("[yellow]git not found: the release is a plain folder, not a repository[/]")
        return
    identity = ["-c", "user.name=course release", "-c", "user.email=course-release@localhost"]
    for command in (["init", "-q"], ["add", "-A"], [*identity, "commit", "-q", "-m", "The course, student release"]):
        subprocess.run([git, *command], cwd=out, check=True, capture_output=True, timeout=120)


# ---------------------------------------------------------------- the command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", help="a new folder for the student repository")
    parser.add_argument("--chapters", nargs="+", metavar="CHAPTER", help="only these chapters (default: all)")


def run(args: argparse.Namespace) -> int:
    try:
        release = build_release(catalogue_module.find_root(), Path(args.out), args.chapters)
    except ReleaseError as error:
        console.print(f"[red]error:[/] {escape(str(error))}", soft_wrap=True)
        return 1
    console.print(f"Wrote the student release of {', '.join(release.chapters)} to {release.out}: "
                  f"{len(release.exercises)} exercises, no solutions, no buggy variants.", soft_wrap=True)
    if release.executed_pages:
        console.print(f"Shipped as executed notebooks (they run the reference): {', '.join(release.executed_pages)}")
    console.print(f"Its GitHub Classroom workflow: {release.out / WORKFLOW}")
    return 0
