"""The book build is strict: a failing cell, a broken reference or an off-machine asset fails it.

Each test builds a throwaway one-page book in tmp_path with the real book's
_config.yml (and its local extension), through `course.book.build`, the function
`course book`, the Makefile and CI use. A clean page must build, so a failure
below is the broken thing and not the configuration.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from course import book
from course.catalogue import find_root

ROOT = find_root(Path(__file__).resolve().parent)
BOOK = book.book_dir(ROOT)

FRONT_MATTER = """---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  name: python3
  display_name: Python 3
---
"""

pytestmark = pytest.mark.timeout(300)


def tiny_book(folder: Path, page: str) -> Path:
    """A one-page book with the course's configuration; returns its folder."""
    source = folder / "book"
    source.mkdir()
    shutil.copy(BOOK / "_config.yml", source / "_config.yml")
    for folder in ("_ext", "_static"):  # the local extension, the favicon
        if (BOOK / folder).is_dir():
            shutil.copytree(BOOK / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (source / "_toc.yml").write_text("format: jb-book\nroot: index\n", encoding="utf-8")
    (source / "index.md").write_text(page, encoding="utf-8")
    return source


def build(source: Path) -> tuple[int, str, str]:
    """Build strictly; return the exit code, what `course book` printed and the full log."""
    printed = io.StringIO()
    code = book.build(source=source, console=Console(file=printed, width=200, highlight=False))
    log = source / "_build" / book.LOG_NAME
    return code, printed.getvalue(), log.read_text(encoding="utf-8") if log.exists() else ""


def test_a_clean_page_with_a_cell_and_math_builds_offline(tmp_path):
    source = tiny_book(
        tmp_path,
        FRONT_MATTER
        + "# A clean page\n\n(clean-label)=\n## Section\n\nSee {ref}`clean-label`; math $a^2 + b^2$.\n\n"
        "```{code-cell} ipython3\nprint(6 * 7)\n```\n",
    )
    code, printed, log = build(source)
    assert code == 0, f"a clean page failed the strict build (exit {code}):\n{printed}\n{log[-4000:]}"
    html = (source / "_build" / "html" / "index.html").read_text(encoding="utf-8")
    assert "42" in html, "the code cell was not executed: its output 42 is not on the page"
    assert 'src="_static/mathjax/tex-chtml.js"' in html, "the page does not load MathJax from _static/mathjax (sphinx-mathjax-offline)"
    assert (source / "_build" / "html" / "_static" / "mathjax" / "tex-chtml.js").is_file(), "MathJax was not copied into _static/mathjax"
    assert "unpkg.com" not in html and "cdn.jsdelivr" not in html, "the page names a CDN"
    assert "_build/html/index.html" in printed, f"`course book` did not say where to open the book:\n{printed}"


def test_a_failing_cell_fails_the_build(tmp_path):
    source = tiny_book(
        tmp_path,
        FRONT_MATTER + "# A page with a bug\n\n```{code-cell} ipython3\nraise RuntimeError('this cell is broken on purpose')\n```\n",
    )
    code, printed, log = build(source)
    assert code != 0, f"a failing cell did not fail the build:\n{printed}"
    assert "this cell is broken on purpose" in log, f"the build log does not show the cell's error:\n{log[-4000:]}"


def test_a_broken_reference_fails_the_build(tmp_path):
    source = tiny_book(tmp_path, "# A page with a broken link\n\nSee {ref}`a-label-that-does-not-exist`.\n")
    code, printed, log = build(source)
    assert code != 0, f"a broken {{ref}} did not fail the build:\n{printed}"
    assert "a-label-that-does-not-exist" in log, f"the build log does not name the broken reference:\n{log[-4000:]}"


def test_a_broken_markdown_link_fails_the_build(tmp_path):
    source = tiny_book(tmp_path, "# A page with a broken link\n\nSee [the missing page](missing_page.md).\n")
    code, printed, log = build(source)
    assert code != 0, f"a Markdown link to a missing page did not fail the build:\n{printed}"
    assert "missing_page" in log, f"the build log does not name the broken link:\n{log[-4000:]}"


def test_a_page_that_loads_an_asset_from_off_the_machine_fails_the_build(tmp_path):
    source = tiny_book(tmp_path, '# A page with a remote image\n\n<img src="https://example.org/logo.png" alt="remote">\n')
    code, printed, log = build(source)
    assert code != 0, f"a page loading https://example.org/logo.png did not fail the build:\n{printed}"
    assert "off the machine" in log, f"the build log does not say what loads from off the machine:\n{log[-4000:]}"
