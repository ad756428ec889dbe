"""The built book, rendered in headless Chromium: offline, every figure, math, no console error.

Renders every page of book/_toc.yml (intro, ch01_concepts, ch02_threading,
ch07_capstone, ...) from book/_build/html, building the book once if it is missing,
and checks that

- no request leaves the machine (only file://, data:, blob: and 127.0.0.1),
- every image loaded (naturalWidth > 0), figures drawn by executed cells included,
- MathJax (the bundled copy) rendered every formula,
- nothing was logged as an error in the console, and no resource failed to load,
- no Markdown table shows as raw `|` text, every image in the content has alt text
  that describes it (not empty, not a file name or hash), and every such image sits
  in a figure with a caption.

A screenshot of each page (the first screen, and the whole page as NAME-full.png)
is kept in book/_build/screenshots/, or in $COURSE_SCREENSHOT_DIR.
Chromium is required: without it these tests fail and say how to install it.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from course import book
from course.catalogue import find_root, load

ROOT = find_root(Path(__file__).resolve().parent)

pytestmark = pytest.mark.timeout(900)  # the first test may build the whole book

# A Markdown table that did not render: a line of cells, or the |---| rule under its header.
RAW_TABLE = re.compile(r"^\s*\|.*\|\s*$|\|\s*:?-{3,}:?\s*\|", re.M)
# Alt text that names a file instead of describing the figure (myst-nb's default is a hash).
NOT_A_DESCRIPTION = re.compile(r"^[0-9a-f]{12,}$|\.(png|svg|jpe?g|gif)$", re.I)

REMOTE_ASSET = re.compile(
    r"<(?:script|img|iframe|source|video|audio|embed|object|link)\b[^>]*?\b(?:src|href|data)\s*=\s*[\"']((?:https?:)?//[^\"']+)",
    re.IGNORECASE,
)


def describe(report) -> str:
    return f"{report.url}; screenshots: {', '.join(str(p) for p in report.screenshots) or 'none'}"


def check_page(report) -> None:
    assert report.requests, f"{report.url}: Chromium recorded no request at all"
    assert not report.off_machine_requests, (
        f"{describe(report)}: the page made requests that leave the machine: {report.off_machine_requests}"
    )
    broken = [image["src"] for image in report.state["images"] if not image["naturalWidth"]]
    assert not broken, f"{describe(report)}: images that did not load (naturalWidth 0): {broken}"
    assert not report.console_errors, f"{describe(report)}: console errors: {report.console_errors}"
    assert not report.failed_requests, f"{describe(report)}: failed requests: {report.failed_requests}"
    state = report.state
    if state["math_sources"]:
        assert state["mathjax_loaded"], f"{describe(report)}: the page has math but MathJax did not load"
        assert state["math_rendered"] >= state["math_sources"], (
            f"{describe(report)}: MathJax rendered {state['math_rendered']} of {state['math_sources']} formulas"
        )
        assert not state["math_errors"], f"{describe(report)}: MathJax reported {state['math_errors']} formula errors"
        mathjax = [src for src in state["scripts"] if "mathjax" in src.lower()]
        assert mathjax and all("/_static/mathjax/" in src for src in mathjax), (
            f"{describe(report)}: MathJax must come from the book's own _static/mathjax, not {mathjax}"
        )
    assert state["text_length"] > 200, f"{describe(report)}: the page is (nearly) empty: {state['text_length']} characters of text"
    raw_tables = [line.strip()[:100] for line in state["prose_text"].splitlines() if RAW_TABLE.search(line)]
    assert not raw_tables, f"{describe(report)}: Markdown tables shown as raw text: {raw_tables[:5]}"
    for image in state["content_images"]:
        alt = (image["alt"] or "").strip()
        assert alt and not NOT_A_DESCRIPTION.search(alt), (
            f"{describe(report)}: the image {image['src']} has no alt text that says what it shows (alt={alt!r})"
        )
        assert image["caption"], f"{describe(report)}: the image {image['src']} is not in a figure with a caption"


def test_the_toc_has_a_page_for_every_chapter_of_the_catalogue(toc_pages):
    chapters = [chapter.id for chapter in load(book.book_dir(ROOT).parent, check_files=False).chapters]
    missing = [chapter for chapter in chapters if chapter not in toc_pages]
    assert not missing, f"course.toml lists chapters that book/_toc.yml does not: {missing} (toc: {toc_pages})"
    sources = book.book_dir(ROOT)
    absent = [page for page in toc_pages if not any((sources / f"{page}{ext}").is_file() for ext in (".md", ".ipynb"))]
    assert not absent, f"book/_toc.yml lists pages with no source file in book/: {absent}"


def test_every_page_renders_offline_with_its_figures_math_and_no_console_error(chromium, built_book, screenshot_dir, page):
    report = chromium.visit((built_book / f"{page}.html").as_uri(), screenshot_dir / f"{page}.png")
    check_page(report)


def test_no_built_page_loads_anything_from_off_the_machine(built_book):
    offenders = {}
    for html in sorted(built_book.rglob("*.html")):
        if "_static" in html.relative_to(built_book).parts:
            continue
        remote = [url for url in REMOTE_ASSET.findall(html.read_text(encoding="utf-8", errors="replace"))
                  if "//127.0.0.1" not in url and "//localhost" not in url]
        if remote:
            offenders[str(html.relative_to(built_book))] = remote
    assert not offenders, f"pages that would load from off the machine: {offenders}"


def test_the_book_served_by_course_book_serve_loads_on_127_0_0_1(chromium, built_book, screenshot_dir, toc_pages):
    server = book.make_server(built_book, port=0)
    thread = threading.Thread(target=server.serve_forever, name="book-server", daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1", f"the book server listens on {host}, not 127.0.0.1 only"
        report = chromium.visit(f"http://127.0.0.1:{port}/", screenshot_dir / "served-index.png")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    root_page = f"http://127.0.0.1:{port}/{toc_pages[0]}.html"
    assert report.state["url"] == root_page, f"http://127.0.0.1:{port}/ led to {report.state['url']}, not to {root_page}"
    check_page(report)


def test_the_browser_check_catches_outside_requests_broken_images_and_console_errors(chromium, tmp_path):
    """The checks above can fail: a page with each fault is caught."""
    (tmp_path / "bad.html").write_text(
        "<!doctype html><html><head><title>bad</title></head><body>"
        + "<p>text</p>" * 50
        + '<img src="missing.png"><img src="http://192.0.2.1/outside.png">'
        + "<script>console.error('broken on purpose')</script></body></html>",
        encoding="utf-8",
    )
    report = chromium.visit((tmp_path / "bad.html").as_uri())
    assert "http://192.0.2.1/outside.png" in report.off_machine_requests, report.requests
    assert any(image["src"].endswith("missing.png") and not image["naturalWidth"] for image in report.state["images"]), report.state
    assert any("broken on purpose" in error for error in report.console_errors), report.console_errors
    with pytest.raises(AssertionError):
        check_page(report)


@pytest.mark.parametrize(
    "body, complaint",
    [
        ("<p>| backend | cost |</p><p>|---|---:|</p>", "raw text"),
        ('<figure><img src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7" alt="0123456789abcdef0123">'
         "<figcaption>Fig. 1 a caption</figcaption></figure>", "alt text"),
        ('<img src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7" alt="a chart of speedups">', "caption"),
    ],
    ids=["raw-markdown-table", "alt-is-a-hash", "figure-without-caption"],
)
def test_the_browser_check_catches_raw_tables_and_figures_without_alt_or_caption(chromium, tmp_path, body, complaint):
    """Each fault alone, on an otherwise clean page, fails check_page and says why."""
    (tmp_path / "page.html").write_text(
        "<!doctype html><html><head><title>p</title></head><body><main>"
        + "<p>text</p>" * 50 + body + "</main></body></html>",
        encoding="utf-8",
    )
    report = chromium.visit((tmp_path / "page.html").as_uri())
    with pytest.raises(AssertionError, match=complaint):
        check_page(report)
