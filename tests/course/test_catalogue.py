"""The catalogue loader rejects malformed catalogues, naming file, entry and field."""

import shutil
from pathlib import Path

import pytest

from course import catalogue
from course.catalogue import CatalogueError

FIXTURE = Path(__file__).parent / "fixture_course"


@pytest.fixture
def course_copy(tmp_path):
    root = tmp_path / "course"
    shutil.copytree(FIXTURE, root)
    return root


def rewrite(root: Path, old: str, new: str) -> None:
    path = root / "course.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_fixture_catalogue_loads_into_typed_entries():
    course = catalogue.load(FIXTURE)
    adder = course.exercise("adder")
    assert (adder.chapter, adder.module, adder.timeout, adder.repeats, adder.max_points) == ("basics", "adder", 8.0, 2, 3)
    assert [t.number for t in adder.tasks] == [1, 2]
    assert [v.name for v in course.buggy_variants(course.exercise("counter"))] == ["counter__lock_around_write_only", "counter__no_lock"]


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ('title = "Add two numbers"\n', "", "exercise 'adder': field 'title' is missing"),
        ('chapter = "basics"\ntitle = "Add', 'chapter = "nowhere"\ntitle = "Add', "field 'chapter' names unknown chapter 'nowhere'"),
        ('id = "counter"', 'id = "adder"', "duplicate id 'adder'"),
        ('module = "counter"', 'module = "adder"', "duplicate module 'adder'"),
        ('module = "adder"', 'module = "missing"', "exercises/basics/missing.py does not exist"),
        ("points = 2\n  hint = \"Still", "points = \"two\"\n  hint = \"Still", "task 2: field 'points' must be an integer"),
        ("timeout = 8\n", "timeout = -1\n", "field 'timeout' must be greater than 0"),
        ("timeout = 8\n", 'timeout = 8\njudged = "sideways"\n', "field 'judged' must be one of 'inside', 'outside', not 'sideways'"),
        ('[course]', '[course\n', "not valid TOML"),
    ],
)
def test_a_malformed_catalogue_is_rejected_with_file_entry_and_field(course_copy, old, new, expected):
    rewrite(course_copy, old, new)
    with pytest.raises(CatalogueError) as error:
        catalogue.load(course_copy)
    assert expected in str(error.value)
    assert str(course_copy / "course.toml") in str(error.value)


def test_a_test_marking_an_unknown_task_is_rejected(course_copy):
    test_file = course_copy / "tests" / "exercises" / "basics" / "test_adder.py"
    test_file.write_text(test_file.read_text() + "\n\n@pytest.mark.task(\"seventh\")\ndef test_more(exercise):\n    pass\n")
    with pytest.raises(CatalogueError, match="marks task 'seventh', but the catalogue lists tasks \\['positive', 'negative'\\]"):
        catalogue.load(course_copy)


def test_a_task_without_an_id_is_rejected(course_copy):
    toml = course_copy / "course.toml"
    toml.write_text(toml.read_text().replace('id = "negative"\n', "", 1))
    with pytest.raises(CatalogueError, match="task 2: field 'id' is missing"):
        catalogue.load(course_copy)


def test_reordering_tasks_keeps_tests_with_their_task(course_copy):
    toml = course_copy / "course.toml"
    text = toml.read_text()
    first, second = text.index("  [[exercises.tasks]]"), text.index("  [[exercises.tasks]]", text.index("  [[exercises.tasks]]") + 1)
    end = text.index("[[exercises]]", second)
    swapped = text[:first] + text[second:end].rstrip() + "\n\n" + text[first:second].rstrip() + "\n\n" + text[end:]
    toml.write_text(swapped)
    adder = catalogue.load(course_copy).exercise("adder")
    assert [task.id for task in adder.tasks] == ["negative", "positive"]
    assert adder.task("positive").number == 2


def test_a_buggy_variant_must_declare_what_it_loses(course_copy):
    (course_copy / "tests" / "buggy" / "basics" / "adder__vague.py").write_text("def add(a, b):\n    return 0\n")
    course = catalogue.load(course_copy)
    with pytest.raises(CatalogueError, match="must declare LOSES"):
        course.buggy_variants(course.exercise("adder"))


def test_an_unknown_exercise_id_names_the_known_ones():
    with pytest.raises(CatalogueError, match="no exercise with id 'nope' \\(known: adder, counter\\)"):
        catalogue.load(FIXTURE).exercise("nope")


def test_a_patch_variant_is_the_solution_with_its_replacements():
    course = catalogue.load(FIXTURE)
    variant = next(v for v in course.buggy_variants(course.exercise("counter")) if v.patch)
    source = variant.source(FIXTURE / "solutions")
    assert "        current = self.value\n        self._io()\n        with self._lock:" in source
    compile(source, variant.path.name, "exec")


def test_a_patch_variant_that_no_longer_matches_the_solution_is_reported(course_copy):
    solution = course_copy / "solutions" / "basics" / "counter.py"
    solution.write_text(solution.read_text().replace("current = self.value", "snapshot = self.value"))
    course = catalogue.load(course_copy)
    variant = next(v for v in course.buggy_variants(course.exercise("counter")) if v.patch)
    with pytest.raises(CatalogueError, match="PATCH entry 1 must match the solution exactly once, found 0 times"):
        variant.source(course_copy / "solutions")
