"""The course's own directives and page checks (book/_config.yml loads this extension).

Directives, so that nothing the catalogue knows is typed by hand on a page:

    ```{course-exercises} ch02_threading
    ```
    the chapter's exercises as a table: id, what is graded (each task with its
    points), total points, all read from course.toml through course.catalogue;

    ```{course-mistakes} ch02_threading
    ```
    "Common mistakes": one line per known-buggy variant of the chapter's exercises,
    the first line of the variant's docstring (read from the file, never pasted).

Checks, run on every page as it is read (a warning, so the strict build fails):
    - no literalinclude of solutions/ or tests/buggy/ (a page never gives the answer away);
    - no literalinclude of a whole file: it names :pyobject:, :lines:, :start-at: or
      :start-after: (a lab's main() and prints do not belong on the page);
    - no docker-compose file pasted into a page;
    - no included line wider than MAX_WIDTH characters (nothing scrolls sideways).
tests/book/test_pages.py runs the same `page_problems` on every page without a build.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

MAX_WIDTH = 88
MISTAKES_FILE = "mistakes.json"  # in a student release: the mistakes, no variants
FORBIDDEN_TREES = ("solutions/", "tests/buggy/")
PART_OPTIONS = (":pyobject:", ":lines:", ":start-at:", ":start-after:")
# ```{literalinclude} PATH  (or :::{literalinclude}), then its :option: lines.
INCLUDE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{literalinclude\}\s+(?P<path>\S+)\s*\n(?P<options>(?:[ \t]*:[\w-]+:.*\n)*)", re.M)


def _catalogue(root: Path | None = None):
    from course.catalogue import find_root, load

    return load(root or find_root(), check_files=False)


def page_problems(text: str, page: Path) -> list[str]:
    """What breaks the book's rules for included code on the page `page` with source `text`."""
    from sphinx.directives.code import LiteralIncludeReader

    problems = []
    for match in INCLUDE.finditer(text):
        raw, options_text = match["path"], match["options"]
        target = (page.parent / raw).resolve()
        shown = raw.lstrip("./")
        if any(tree in target.as_posix() + "/" for tree in ("/" + t for t in FORBIDDEN_TREES)):
            problems.append(f"includes {shown}: a page never shows a solution or a buggy variant")
            continue
        if "docker-compose" in target.name or "compose.y" in target.name:
            problems.append(f"includes {shown}: describe the deployment, do not paste the compose file")
            continue
        if not any(option in options_text for option in PART_OPTIONS):
            problems.append(f"includes the whole of {shown}: name a :pyobject: or :lines:")
            continue
        options = {}
        for line in options_text.splitlines():
            key, _, value = line.strip()[1:].partition(":")
            options[key] = value.strip()
        try:
            lines, _ = LiteralIncludeReader(str(target), options, _FakeConfig()).read()
        except Exception as error:  # a missing file or object: the build reports it too
            problems.append(f"includes {shown}: {error}")
            continue
        for number, line in enumerate(lines.splitlines(), 1):
            if len(line) > MAX_WIDTH:
                problems.append(
                    f"includes {shown} ({', '.join(f'{k}={v}' for k, v in options.items())}): "
                    f"line {number} is {len(line)} characters wide (at most {MAX_WIDTH})"
                )
    return problems


class _FakeConfig:
    """What LiteralIncludeReader reads from Sphinx's config."""

    source_encoding = "utf-8-sig"
    highlight_language = "python"


def check_page_source(app, docname: str, source: list[str]) -> None:
    path = Path(app.env.doc2path(docname))
    for problem in page_problems(source[0], path):
        logger.warning("%s: %s", path.name, problem, type="course", location=docname)


def _paragraph(*parts) -> nodes.paragraph:
    paragraph = nodes.paragraph()
    for part in parts:
        paragraph += part if isinstance(part, nodes.Node) else nodes.Text(str(part))
    return paragraph


def _table(header: list[str], rows: list[list[nodes.Node]], widths: list[int]) -> nodes.table:
    table = nodes.table(classes=["course-table"])
    group = nodes.tgroup(cols=len(header))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    row = nodes.row()
    for title in header:
        row += nodes.entry("", _paragraph(title))
    head += row
    body = nodes.tbody()
    group += body
    for cells in rows:
        row = nodes.row()
        for cell in cells:
            row += nodes.entry("", cell)
        body += row
    return table


class ExercisesDirective(SphinxDirective):
    """The chapter's exercises, their tasks and points, from course.toml."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        catalogue = _catalogue()
        chapter = self.arguments[0]
        self.env.note_dependency(str(catalogue.path))
        exercises = catalogue.chapter_exercises(chapter)
        if not exercises:
            raise self.error(f"course.toml has no exercise in chapter {chapter!r}")
        rows = []
        for exercise in exercises:
            tasks = nodes.bullet_list()
            for task in exercise.tasks:
                tasks += nodes.list_item("", _paragraph(f"{task.title} ({task.points})"))
            rows.append([
                _paragraph(nodes.literal(text=exercise.id)),
                nodes.container("", _paragraph(nodes.strong(text=exercise.title)), tasks),
                _paragraph(str(exercise.max_points)),
            ])
        total = sum(exercise.max_points for exercise in exercises)
        rows.append([_paragraph("all"), _paragraph(f"{len(exercises)} exercises"), _paragraph(str(total))])
        return [_table(["id", "what is graded (points per task)", "points"], rows, [18, 70, 12])]


class MistakesDirective(SphinxDirective):
    """One line per known-buggy variant of the chapter's exercises: the mistake, in words.

    Read from tests/buggy/ (the first line of each variant's docstring, parsed, never
    imported); a student release ships no variants, only book/mistakes.json, the same
    lines written by `course release`.
    """

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        chapter = self.arguments[0]
        shipped = Path(self.env.srcdir) / MISTAKES_FILE
        if shipped.is_file():
            self.env.note_dependency(str(shipped))
            found = json.loads(shipped.read_text(encoding="utf-8")).get(chapter, [])
        else:
            catalogue = _catalogue()
            for exercise in catalogue.chapter_exercises(chapter):
                for variant in catalogue.buggy_variants(exercise):
                    self.env.note_dependency(str(variant.path))
            found = catalogue.mistakes(chapter)
        if not found:
            raise self.error(f"no buggy variant found for chapter {chapter!r}")
        items = nodes.bullet_list()
        for exercise_id, mistake in found:
            items += nodes.list_item("", _paragraph(nodes.literal(text=exercise_id), ": ", mistake))
        return [items]


def setup(app):
    app.add_directive("course-exercises", ExercisesDirective)
    app.add_directive("course-mistakes", MistakesDirective)
    app.connect("source-read", check_page_source)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
