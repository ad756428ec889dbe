"""The book's pages follow shared/BOOK.md, checked on the sources (no build needed).

- no page includes a solution, a buggy variant, a whole file or the compose file,
  and no included line is wider than 88 characters (the same check the build runs,
  book/_ext/course_book.py, so the two cannot disagree);
- no table is typed by hand in Markdown `|` syntax;
- every chapter ends with the exercises table and the common mistakes, both
  generated from the catalogue, self-check questions in dropdowns and further reading;
- every figure cell has a caption, a name (its number and link) and alt text;
- `course book` skips the build when nothing it depends on changed, and says so.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from course import book
from course.catalogue import find_root, load

ROOT = find_root(Path(__file__).resolve().parent)
BOOK = book.book_dir(ROOT)

pytestmark = pytest.mark.timeout(60)


def _extension():
    spec = importlib.util.spec_from_file_location("course_book", BOOK / "_ext" / "course_book.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


course_book = _extension()
CATALOGUE = load(ROOT, check_files=False)
CHAPTERS = [chapter.id for chapter in CATALOGUE.chapters]
PAGES = sorted(BOOK.glob("*.md"))


def page_text(name: str) -> str:
    return (BOOK / f"{name}.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("source", PAGES, ids=lambda path: path.stem)
def test_included_code_is_a_named_part_of_a_lab_or_stub_and_fits_in_88_columns(source):
    problems = course_book.page_problems(source.read_text(encoding="utf-8"), source)
    assert not problems, f"{source.name}:\n" + "\n".join(problems)


def test_the_include_check_catches_solutions_buggy_variants_whole_files_compose_and_wide_lines(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "answer.py").write_text("def answer():\n    return 42\n")
    (tmp_path / "tests" / "buggy").mkdir(parents=True)
    (tmp_path / "tests" / "buggy" / "answer__bug.py").write_text("def answer():\n    return 41\n")
    (tmp_path / "labs").mkdir()
    (tmp_path / "labs" / "lab.py").write_text(
        "def narrow():\n    return 1\n\n\ndef wide():\n    return '" + "x" * 100 + "'\n"
    )
    (tmp_path / "docker-compose.yml").write_text("services: {}\n")
    page = tmp_path / "book" / "page.md"
    cases = {
        "../solutions/answer.py\n:pyobject: answer": "never shows a solution",
        "../tests/buggy/answer__bug.py\n:pyobject: answer": "never shows a solution or a buggy variant",
        "../labs/lab.py\n:language: python": "whole of",
        "../docker-compose.yml\n:lines: 1": "compose",
        "../labs/lab.py\n:pyobject: wide": "characters wide",
    }
    for include, complaint in cases.items():
        problems = course_book.page_problems(f"# t\n\n```{{literalinclude}} {include}\n```\n", page)
        assert len(problems) == 1 and complaint in problems[0], (include, problems)
    clean = "# t\n\n```{literalinclude} ../labs/lab.py\n:pyobject: narrow\n```\n"
    assert course_book.page_problems(clean, page) == []


CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(?P<body>.*?)^```\s*$", re.S | re.M)


@pytest.mark.parametrize("source", PAGES, ids=lambda path: path.stem)
def test_no_shown_code_cell_line_is_wider_than_88_characters(source):
    wide = []
    for match in CODE_CELL.finditer(source.read_text(encoding="utf-8")):
        body = match["body"]
        if re.search(r"remove-input|remove-cell", body.split("\n---\n")[0] if body.startswith("---") else body[:200]):
            continue  # the reader never sees this cell's code
        wide += [line for line in body.splitlines() if len(line) > course_book.MAX_WIDTH]
    assert not wide, f"{source.name}: code cell lines wider than {course_book.MAX_WIDTH}: {wide}"


def test_no_table_is_typed_in_markdown_pipe_syntax():
    for page in PAGES:
        in_code = False
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            if re.match(r"^(`{3,}|:{3,})", line):  # a fence opens a block; a bare fence closes it
                in_code = not re.fullmatch(r"`{3,}|:{3,}", line.strip()) if in_code else True
                continue
            if not in_code and re.match(r"^\s*\|.*\|\s*$", line):
                pytest.fail(f"{page.name}:{number}: a Markdown table; use {{list-table}} or a directive: {line}")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_each_chapter_ends_with_generated_exercises_and_mistakes_self_check_and_reading(chapter):
    text = page_text(chapter)
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    for block in (f"```{{course-exercises}} {chapter}", f"```{{course-mistakes}} {chapter}"):
        assert block in text, f"{chapter}.md does not render {block.split('}')[0]}}} from the catalogue"
    for title in ("## Common mistakes", "## Check yourself", "## Further reading"):
        assert title in headings, f"{chapter}.md has no '{title}' section"
    assert headings[-3:] == ["## Common mistakes", "## Check yourself", "## Further reading"], headings
    self_check = text.split("## Check yourself", 1)[1].split("## Further reading", 1)[0]
    assert self_check.count(":::{dropdown}") >= 3, f"{chapter}.md: fewer than 3 self-check questions with hidden answers"
    assert not re.search(r"^\|", text.split("## Exercises", 1)[-1], re.M), f"{chapter}.md types its exercises table"


FIGURE_CELL = re.compile(r"```\{code-cell\}[^\n]*\n---\n(?P<meta>.*?)\n---\n", re.S)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_figure_cell_has_a_caption_a_name_and_alt_text(chapter):
    import yaml

    text = page_text(chapter)
    figures = 0
    for match in FIGURE_CELL.finditer(text):
        meta = yaml.safe_load(match["meta"]) or {}
        figure = (meta.get("mystnb") or {}).get("figure")
        if figure is None:
            continue
        figures += 1
        alt = ((meta.get("mystnb") or {}).get("image") or {}).get("alt", "")
        assert figure.get("caption", "").strip(), f"{chapter}: a figure cell without a caption: {match['meta'][:200]}"
        assert figure.get("name", "").startswith("fig-"), f"{chapter}: a figure without a name: {figure}"
        assert len(alt.split()) >= 8, f"{chapter}: alt text of {figure.get('name')} does not say what it shows: {alt!r}"
    plotting = len(re.findall(r"plt\.subplots|\.plot\(results|\bplot\(result", text))
    assert figures >= min(1, plotting), f"{chapter}: cells draw figures but none has figure metadata"


def test_common_mistakes_come_from_every_buggy_variant_docstring():
    for exercise in CATALOGUE.exercises:
        for variant in CATALOGUE.buggy_variants(exercise):
            line = variant.mistake
            assert line and line != variant.path.stem, f"{variant.path} has no docstring to describe its mistake"
            assert not line.lower().startswith("buggy"), line


# ---------------------------------------------------------------- `course book` skips


def fake_course(tmp_path: Path) -> Path:
    (tmp_path / "course.toml").write_text('[course]\ntitle = "t"\n', encoding="utf-8")
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "intro.md").write_text("# Intro\n", encoding="utf-8")
    (tmp_path / "labs").mkdir()
    (tmp_path / "labs" / "lab.py").write_text("print(1)\n", encoding="utf-8")
    html = book.html_dir(tmp_path)
    html.mkdir(parents=True)
    (html / "index.html").write_text("<p>built</p>", encoding="utf-8")
    return tmp_path


def run_course_book(root: Path, monkeypatch, *argv: str) -> tuple[int, str, list]:
    builds = []

    def fake_build(root_arg=None, **kwargs):
        builds.append(root_arg)
        book.stamp_path(root_arg).write_text(book.inputs_digest(root_arg), encoding="utf-8")
        return 0

    monkeypatch.setenv("COURSE_ROOT", str(root))
    monkeypatch.setattr(book, "build", fake_build)
    printed = io.StringIO()
    monkeypatch.setattr(book, "Console", lambda **kw: Console(file=printed, width=200, highlight=False))
    parser = argparse.ArgumentParser()
    book.add_arguments(parser)
    code = book.run(parser.parse_args(list(argv)))
    return code, printed.getvalue(), builds


def test_course_book_skips_the_build_when_nothing_changed_and_says_so(tmp_path, monkeypatch):
    root = fake_course(tmp_path)
    code, _, builds = run_course_book(root, monkeypatch)
    assert code == 0 and len(builds) == 1, "the first `course book` did not build"
    code, printed, builds = run_course_book(root, monkeypatch)
    assert code == 0 and builds == [], "a second `course book` with nothing changed built again"
    assert "up to date" in printed and "--force" in printed, printed


@pytest.mark.parametrize("change", ["labs/lab.py", "book/intro.md", "course.toml", "labs/new_lab.py"])
def test_course_book_builds_again_when_an_input_changes(tmp_path, monkeypatch, change):
    root = fake_course(tmp_path)
    run_course_book(root, monkeypatch)
    path = root / change
    path.write_text((path.read_text(encoding="utf-8") if path.exists() else "") + "# changed\n", encoding="utf-8")
    _, _, builds = run_course_book(root, monkeypatch)
    assert len(builds) == 1, f"a change to {change} did not rebuild the book"


def test_course_book_force_always_builds(tmp_path, monkeypatch):
    root = fake_course(tmp_path)
    run_course_book(root, monkeypatch)
    _, _, builds = run_course_book(root, monkeypatch, "--force")
    assert len(builds) == 1


def test_build_output_does_not_count_as_an_input(tmp_path):
    root = fake_course(tmp_path)
    before = book.inputs_digest(root)
    (book.html_dir(root) / "page.html").write_text("new output", encoding="utf-8")
    (root / "labs" / "__pycache__").mkdir()
    (root / "labs" / "__pycache__" / "lab.cpython-311.pyc").write_bytes(b"\0")
    assert book.inputs_digest(root) == before
