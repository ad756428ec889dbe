"""The course catalogue: one typed model of course.toml, read by one loader.

Every command (list, check, grade, verify, book) goes through `load()`, so a
catalogue error is reported once, the same way, naming the file, the entry and
the field, instead of surfacing later as a KeyError in the middle of grading.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

CATALOGUE_NAME = "course.toml"
TASK_MARK = re.compile(r"""pytest\.mark\.task\(\s*["']([^"']*)["']\s*\)""")
TASK_ID = re.compile(r"[a-z][a-z0-9_]*")


class CatalogueError(Exception):
    """The catalogue is malformed; the message names file, entry and field."""


@dataclass(frozen=True)
class Task:
    """One graded task. Tests name it by `id` (@pytest.mark.task("id")), never by
    position, so reordering tasks in course.toml cannot move tests between them."""

    id: str
    number: int  # 1-based position, for display only
    title: str
    points: int
    hint: str


@dataclass(frozen=True)
class Chapter:
    id: str
    title: str


@dataclass(frozen=True)
class Exercise:
    id: str
    chapter: str
    title: str
    module: str
    timeout: float  # wall clock for the whole exercise run, every repeat included
    test_timeout: float  # per test; a hang past it dumps every thread's stack
    repeats: int
    tasks: tuple[Task, ...]
    # "outside": the tests run in a process that never imports the submission and reach it
    # through course.grading.subject; "inside": beside it, for tests that observe its threads.
    judged: str = "inside"

    @property
    def max_points(self) -> int:
        return sum(task.points for task in self.tasks)

    def relpath(self) -> Path:
        """Where the module lives inside a tree (exercises/, solutions/ or a submission)."""
        return Path(self.chapter) / f"{self.module}.py"

    def task(self, key: str | int) -> Task:
        """A task by its id, or by its position as a learner types it (`course hint ID 2`)."""
        for task in self.tasks:
            if key in (task.id, task.number, str(task.number)):
                return task
        raise KeyError(key)


@dataclass(frozen=True)
class BuggyVariant:
    """A known-wrong implementation that the graded tests must reject.

    Either a whole module, or (for long solutions) the reference solution with
    a few replacements: `PATCH = [(old, new), ...]` states the one mistake and
    nothing else, and each `old` must occur exactly once in the solution, so a
    variant that no longer matches a changed solution is reported, not ignored.
    """

    exercise: Exercise
    path: Path
    loses: tuple[str, ...]  # task ids it must lose in every repeat
    patch: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def mistake(self) -> str:
        """The mistake in words: the first line of the variant's docstring, without 'Buggy:'.

        Read by parsing, never importing: the book's "Common mistakes" and a student
        release (which ships no variant) show this line, never the variant's code.
        """
        docstring = ast.get_docstring(ast.parse(self.path.read_text(encoding="utf-8"))) or ""
        line = docstring.strip().splitlines()[0] if docstring.strip() else self.name
        return re.sub(r"^(Known-)?buggy:\s*", "", line, flags=re.I).strip()

    def source(self, solutions: Path) -> str:
        if not self.patch:
            return self.path.read_text(encoding="utf-8")
        text = (solutions / self.exercise.relpath()).read_text(encoding="utf-8")
        for number, (old, new) in enumerate(self.patch, start=1):
            found = text.count(old)
            if found != 1:
                raise CatalogueError(
                    f"{self.path}: PATCH entry {number} must match the solution exactly once, "
                    f"found {found} times: {old.strip()[:80]!r}"
                )
            text = text.replace(old, new)
        return text


@dataclass
class Catalogue:
    root: Path
    title: str
    chapters: tuple[Chapter, ...]
    exercises: tuple[Exercise, ...]
    _by_id: dict[str, Exercise] = field(default_factory=dict, repr=False)

    @property
    def path(self) -> Path:
        return self.root / CATALOGUE_NAME

    def exercise(self, exercise_id: str) -> Exercise:
        try:
            return self._by_id[exercise_id]
        except KeyError:
            known = ", ".join(sorted(self._by_id)) or "none"
            raise CatalogueError(
                f"{self.path}: no exercise with id {exercise_id!r} (known: {known})"
            ) from None

    def select(self, names: list[str] | tuple[str, ...]) -> list[Exercise]:
        """Exercises named by id or by chapter id; all of them when names is empty."""
        if not names:
            return list(self.exercises)
        chosen: list[Exercise] = []
        chapter_ids = {chapter.id for chapter in self.chapters}
        for name in names:
            if name in chapter_ids:
                chosen += [e for e in self.exercises if e.chapter == name]
            else:
                chosen.append(self.exercise(name))
        return list(dict.fromkeys(chosen))

    def chapter_exercises(self, chapter_id: str) -> list[Exercise]:
        return [e for e in self.exercises if e.chapter == chapter_id]

    def tree(self, name: str) -> Path:
        """`exercises`, `solutions` or a path to a student's tree."""
        return resolve_tree(self.root, name)

    def import_module(self, exercise: Exercise, tree: str = "solutions") -> ModuleType:
        """An exercise's module loaded from a tree by its path (for the bench and the book).

        The installed toolkit never imports `solutions` as a package: the trees
        live next to course.toml, not in site-packages.
        """
        path = self.tree(tree) / exercise.relpath()
        if not path.is_file():
            raise CatalogueError(f"{path} does not exist: no {exercise.id} in the tree {tree!r}")
        name = f"_course_tree_{exercise.chapter}_{exercise.module}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses and pickling look a module up by name
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
        return module

    def test_file(self, exercise: Exercise) -> Path:
        return self.root / "tests" / "exercises" / exercise.chapter / f"test_{exercise.module}.py"

    def mistakes(self, chapter_id: str) -> list[tuple[str, str]]:
        """(exercise id, the mistake in words) for each known-buggy variant of a chapter."""
        return [
            (exercise.id, variant.mistake)
            for exercise in self.chapter_exercises(chapter_id)
            for variant in self.buggy_variants(exercise)
        ]

    def buggy_variants(self, exercise: Exercise) -> list[BuggyVariant]:
        folder = self.root / "tests" / "buggy" / exercise.chapter
        return [
            BuggyVariant(exercise, path, _declared_losses(path, exercise), _declared_patch(path))
            for path in sorted(folder.glob(f"{exercise.module}__*.py"))
        ]


def resolve_tree(root: Path, name: str) -> Path:
    """The one place a tree name becomes a folder: `exercises` and `solutions` are
    the course's own, anything else is a path (a student's submission)."""
    if name in ("exercises", "solutions"):
        return root / name
    return Path(name).resolve()


def find_root(start: Path | None = None) -> Path:
    """The folder holding course.toml: $COURSE_ROOT, or the nearest one above start."""
    if env := os.environ.get("COURSE_ROOT"):
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CATALOGUE_NAME).is_file():
            return folder
    raise CatalogueError(
        f"no {CATALOGUE_NAME} in {here} or any folder above it: run course from the course's folder"
    )


def load(root: Path | None = None, *, check_files: bool = True) -> Catalogue:
    root = root or find_root()
    path = root / CATALOGUE_NAME
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogueError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as error:
        raise CatalogueError(f"{path}: not valid TOML: {error}") from None
    reader = _Reader(path)
    course = data.get("course", {})
    title = reader.text(course, "course", "title") if course else "Course"
    chapters = tuple(
        Chapter(reader.text(raw, f"chapters[{i}]", "id"), reader.text(raw, f"chapters[{i}]", "title"))
        for i, raw in enumerate(reader.table_list(data, "chapters"))
    )
    reader.unique([c.id for c in chapters], "chapters", "id")
    chapter_ids = {c.id for c in chapters}
    exercises = tuple(
        reader.exercise(raw, i, chapter_ids) for i, raw in enumerate(reader.table_list(data, "exercises"))
    )
    reader.unique([e.id for e in exercises], "exercises", "id")
    # Across chapters too: a student's flat upload (Gradescope's usual) names a file by
    # its module alone, and two exercises sharing it would both grade that one file.
    reader.unique([e.module for e in exercises], "exercises", "module")
    catalogue = Catalogue(root, title, chapters, exercises, {e.id: e for e in exercises})
    if check_files:
        for exercise in exercises:
            _check_files(catalogue, exercise)
    return catalogue


class _Reader:
    """Field access that fails with file, entry and field named."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, entry: str, name: str, problem: str) -> CatalogueError:
        return CatalogueError(f"{self.path}: {entry}: field {name!r} {problem}")

    def table_list(self, data: dict, name: str) -> list[dict]:
        value = data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise CatalogueError(f"{self.path}: {name!r} must be a list of tables ([[{name}]])")
        return value

    def text(self, raw: dict, entry: str, name: str) -> str:
        if name not in raw:
            raise self.fail(entry, name, "is missing")
        value = raw[name]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(entry, name, f"must be a non-empty string, not {value!r}")
        return value

    def number(self, raw: dict, entry: str, name: str, default, kind=float, minimum=0):
        value = raw.get(name, default)
        if value is None:
            raise self.fail(entry, name, "is missing")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not isinstance(value, int)):
            raise self.fail(entry, name, f"must be a{'n integer' if kind is int else ' number'}, not {value!r}")
        if value <= minimum:
            raise self.fail(entry, name, f"must be greater than {minimum}, not {value!r}")
        return kind(value)

    def choice(self, raw: dict, entry: str, name: str, allowed: tuple[str, ...]) -> str:
        value = raw.get(name, allowed[0])
        if value not in allowed:
            raise self.fail(entry, name, f"must be one of {', '.join(map(repr, allowed))}, not {value!r}")
        return value

    def unique(self, values: list, table: str, name: str) -> None:
        seen = set()
        for value in values:
            if value in seen:
                raise CatalogueError(f"{self.path}: {table}: duplicate {name} {value!r}")
            seen.add(value)

    def exercise(self, raw: dict, index: int, chapter_ids: set[str]) -> Exercise:
        entry = f"exercises[{index}]"
        exercise_id = self.text(raw, entry, "id")
        entry = f"exercise {exercise_id!r}"
        chapter = self.text(raw, entry, "chapter")
        if chapter not in chapter_ids:
            raise self.fail(entry, "chapter", f"names unknown chapter {chapter!r} (known: {', '.join(sorted(chapter_ids))})")
        module = self.text(raw, entry, "module")
        if not module.isidentifier():
            raise self.fail(entry, "module", f"must be a Python module name, not {module!r}")
        raw_tasks = raw.get("tasks")
        if not isinstance(raw_tasks, list) or not raw_tasks:
            raise self.fail(entry, "tasks", "is missing: give at least one [[exercises.tasks]]")
        tasks = []
        for number, raw_task in enumerate(raw_tasks, start=1):
            task_entry = f"{entry} task {number}"
            task_id = self.text(raw_task, task_entry, "id")
            if not TASK_ID.fullmatch(task_id):
                raise self.fail(task_entry, "id", f"must be lower_case_with_underscores, not {task_id!r}")
            tasks.append(
                Task(
                    task_id,
                    number,
                    self.text(raw_task, task_entry, "title"),
                    self.number(raw_task, task_entry, "points", None, int),
                    self.text(raw_task, task_entry, "hint"),
                )
            )
        self.unique([task.id for task in tasks], entry, "task id")
        return Exercise(
            id=exercise_id,
            chapter=chapter,
            title=self.text(raw, entry, "title"),
            module=module,
            timeout=self.number(raw, entry, "timeout", 60.0),
            test_timeout=self.number(raw, entry, "test_timeout", 10.0),
            repeats=self.number(raw, entry, "repeats", 1, int),
            tasks=tuple(tasks),
            judged=self.choice(raw, entry, "judged", ("inside", "outside")),
        )


def _check_files(catalogue: Catalogue, exercise: Exercise) -> None:
    """The stub, the solution and the graded tests exist. A course with no solutions/ at
    all is a student release (`course release`): its stubs and tests are checked."""
    entry = f"{catalogue.path}: exercise {exercise.id!r}: field 'module'"
    trees = ("exercises", "solutions") if (catalogue.root / "solutions").is_dir() else ("exercises",)
    for tree in trees:
        if not (catalogue.root / tree / exercise.relpath()).is_file():
            raise CatalogueError(f"{entry}: {tree}/{exercise.relpath()} does not exist")
    test_file = catalogue.test_file(exercise)
    if not test_file.is_file():
        raise CatalogueError(f"{entry}: its graded tests {test_file.relative_to(catalogue.root)} do not exist")
    known = [task.id for task in exercise.tasks]
    for task_id in sorted(marked_tasks(test_file)):
        if task_id not in known:
            raise CatalogueError(
                f"{catalogue.path}: exercise {exercise.id!r}: field 'tasks': "
                f"{test_file.relative_to(catalogue.root)} marks task {task_id!r}, "
                f"but the catalogue lists tasks {known}"
            )


def marked_tasks(test_file: Path) -> set[str]:
    return set(TASK_MARK.findall(test_file.read_text(encoding="utf-8")))


def _declared(path: Path, name: str):
    """The literal value of a top-level `NAME = ...` in a file, read without running it."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            try:
                return ast.literal_eval(node.value)
            except ValueError:
                raise CatalogueError(f"{path}: {name} must be a literal") from None
    return None


def _declared_patch(path: Path) -> tuple[tuple[str, str], ...]:
    patch = _declared(path, "PATCH")
    if patch is None:
        return ()
    if not isinstance(patch, list) or not all(isinstance(p, tuple) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in patch):
        raise CatalogueError(f"{path}: PATCH must be a list of (old, new) string pairs")
    return tuple(patch)


def _declared_losses(path: Path, exercise: Exercise) -> tuple[str, ...]:
    """Read `LOSES = ["task id", ...]` from a buggy variant without running it."""
    declared = _declared(path, "LOSES")
    if declared is None:
        raise CatalogueError(f"{path}: a buggy variant must declare LOSES = [ids of the tasks it must lose]")
    losses = tuple(declared)
    unknown = [n for n in losses if n not in {t.id for t in exercise.tasks}]
    if not losses or unknown:
        raise CatalogueError(f"{path}: LOSES must name tasks of {exercise.id!r}, got {losses!r}")
    return losses
