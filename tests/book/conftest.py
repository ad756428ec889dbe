"""Fixtures for the book tests: the built book, and headless Chromium driven over CDP.

Chromium is Debian's `chromium` (/usr/bin/chromium, or $COURSE_CHROMIUM). It is
driven through the Chrome DevTools Protocol over `--remote-debugging-pipe`
(JSON messages separated by NUL bytes on file descriptors 3 and 4), so the tests
need nothing beyond the standard library: no websocket client, no Playwright.
"""

from __future__ import annotations

import fcntl
import json
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from course import book
from course.catalogue import find_root

ROOT = find_root(Path(__file__).resolve().parent)
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
INSTALL_HINT = (
    "headless Chromium is needed for the book's browser test and is not installed. "
    "Install it with: sudo apt-get update && sudo apt-get install -y chromium chromium-driver "
    "(or point COURSE_CHROMIUM at a Chromium binary)"
)
# Measured on this machine: with these flags headless Chromium makes no request of its own.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
)
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
LOCAL_SCHEMES = {"file", "data", "blob", "about"}


def expected_pages() -> list[str]:
    """The root page and every chapter listed in book/_toc.yml."""
    import yaml  # comes with jupyter-book

    toc = yaml.safe_load((book.book_dir(ROOT) / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts") or []:
        walk(part.get("chapters"))
    return [Path(page).with_suffix("").as_posix() for page in pages]


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    return parts.scheme in ("http", "https", "ws", "wss") and (parts.hostname or "") in LOCAL_HOSTS


def find_chromium() -> str | None:
    if configured := os.environ.get("COURSE_CHROMIUM"):
        return configured if Path(configured).is_file() else None
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    for name in CHROMIUM_CANDIDATES:
        if found := shutil.which(name):
            return found
    return None


class CDPError(RuntimeError):
    pass


class Chromium:
    """One headless Chromium, spoken to over the DevTools protocol on a pipe."""

    def __init__(self, executable: str):
        self.profile = Path(tempfile.mkdtemp(prefix="course-chromium-"))
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()

        def wire_pipes() -> None:  # in the child: fd 3 reads commands, fd 4 writes replies
            # Copy both ends above fd 10 first, so neither dup2 overwrites the other.
            a = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self.stderr_path = self.profile / "chromium-stderr.log"
        with open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                [executable, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile / 'profile'}", "about:blank"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                preexec_fn=wire_pipes,
                close_fds=False,  # our own fds are not inheritable; only 3 and 4 are passed on
                start_new_session=True,
            )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._next_id = 0
        self._lock = threading.Lock()
        self._replies: dict[int, queue.Queue] = {}
        self._events: list[dict] = []
        self._events_changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, name="chromium-cdp-reader", daemon=True)
        self._reader.start()
        self.version = self.send("Browser.getVersion", timeout=30)

    # -- protocol ---------------------------------------------------------
    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._from_browser, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "id" in message:
                    with self._lock:
                        waiter = self._replies.pop(message["id"], None)
                    if waiter is not None:
                        waiter.put(message)
                else:
                    with self._events_changed:
                        self._events.append(message)
                        self._events_changed.notify_all()
        with self._lock:
            for waiter in self._replies.values():
                waiter.put({"error": {"message": "Chromium closed the DevTools pipe"}})
            self._replies.clear()

    def send(self, method: str, params: dict | None = None, *, session: str | None = None, timeout: float = 30) -> dict:
        with self._lock:
            self._next_id += 1
            message_id = self._next_id
            waiter: queue.Queue = queue.Queue(1)
            self._replies[message_id] = waiter
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        try:
            reply = waiter.get(timeout=timeout)
        except queue.Empty:
            raise CDPError(f"{method}: no reply from Chromium within {timeout} s") from None
        if "error" in reply:
            raise CDPError(f"{method}: {reply['error'].get('message')} {reply['error'].get('data', '')}")
        return reply.get("result", {})

    def events(self, session: str, since: int = 0) -> list[dict]:
        with self._events_changed:
            return [e for e in self._events[since:] if e.get("sessionId") == session]

    def mark(self) -> int:
        with self._events_changed:
            return len(self._events)

    def wait_event(self, method: str, session: str, since: int, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        with self._events_changed:
            while True:
                for event in self._events[since:]:
                    if event.get("method") == method and event.get("sessionId") == session:
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise CDPError(f"no {method} within {timeout} s")
                self._events_changed.wait(remaining)

    # -- pages ------------------------------------------------------------
    def visit(self, url: str, screenshot: Path | None = None, *, width: int = 1280, height: int = 900) -> "PageReport":
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        try:
            for domain in ("Page", "Network", "Runtime", "Log"):
                self.send(f"{domain}.enable", session=session)
            self.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                session=session,
            )
            since = self.mark()
            navigation = self.send("Page.navigate", {"url": url}, session=session)
            if navigation.get("errorText"):
                raise CDPError(f"could not open {url}: {navigation['errorText']}")
            self.wait_event("Page.loadEventFired", session, since, timeout=60)
            self.wait_for_final_page(session)
            state = self.evaluate(SETTLE_AND_INSPECT, session, timeout=60)
            report = PageReport(url=url, state=state)
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                shot = self.send("Page.captureScreenshot", {"format": "png"}, session=session)
                screenshot.write_bytes(_b64(shot["data"]))
                report.screenshots.append(screenshot)
                # The whole page (up to 12,000 px): make the viewport as tall as the page.
                metrics = self.send("Page.getLayoutMetrics", session=session)
                full_height = max(height, min(int(metrics["cssContentSize"]["height"]), 12000))
                self.send(
                    "Emulation.setDeviceMetricsOverride",
                    {"width": width, "height": full_height, "deviceScaleFactor": 1, "mobile": False},
                    session=session,
                )
                self.evaluate("new Promise(r => requestAnimationFrame(() => setTimeout(r, 100)))", session)
                full = self.send("Page.captureScreenshot", {"format": "png"}, session=session, timeout=60)
                full_path = screenshot.with_name(screenshot.stem + "-full.png")
                full_path.write_bytes(_b64(full["data"]))
                report.screenshots.append(full_path)
            # A moment for late console messages (MathJax, deferred scripts) to arrive.
            self.evaluate("new Promise(r => setTimeout(r, 200))", session)
            for event in self.events(session, since):
                report.record(event)
            return report
        finally:
            try:
                self.send("Target.closeTarget", {"targetId": target}, timeout=10)
            except CDPError:
                pass

    def wait_for_final_page(self, session: str, timeout: float = 30) -> None:
        """Follow a <meta http-equiv="refresh"> (the book's index.html) to a fully loaded page."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                done = self.evaluate(FINAL_PAGE_LOADED, session, timeout=10)
            except CDPError:  # the page navigated while we asked: ask the new one
                done = False
            if done:
                return
            if time.monotonic() > deadline:
                raise CDPError(f"the page did not finish loading (or kept redirecting) within {timeout} s")
            time.sleep(0.05)

    def evaluate(self, expression: str, session: str, timeout: float = 30) -> Any:
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            session=session,
            timeout=timeout,
        )
        if "exceptionDetails" in result:
            raise CDPError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except (CDPError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        self._reader.join(timeout=5)
        shutil.rmtree(self.profile, ignore_errors=True)


def _b64(data: str) -> bytes:
    import base64

    return base64.b64decode(data)


FINAL_PAGE_LOADED = """
document.readyState === 'complete' && !document.querySelector('meta[http-equiv="refresh" i]')
"""

# Runs in the page once it has loaded: make every image load now (not lazily),
# wait for every image and for MathJax's first typesetting, then report.
SETTLE_AND_INSPECT = """
(async () => {
  const images = Array.from(document.images);
  for (const img of images) { img.loading = 'eager'; }
  await Promise.all(images.map(img => img.complete ? null : new Promise(done => {
    img.addEventListener('load', done); img.addEventListener('error', done);
    setTimeout(done, 20000);
  })));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  return {
    url: location.href,
    title: document.title,
    text_length: document.body ? document.body.innerText.length : 0,
    images: images.map(img => ({src: img.currentSrc || img.src, complete: img.complete,
                                naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight})),
    math_sources: document.querySelectorAll('.math').length,
    math_rendered: document.querySelectorAll('mjx-container').length,
    math_errors: document.querySelectorAll('mjx-merror').length,
    mathjax_loaded: !!(window.MathJax && MathJax.version),
    scripts: Array.from(document.scripts).map(s => s.src).filter(Boolean),
    // What a reader sees in the page's own content (not the theme's navigation):
    // every image with its alt text and its figure's caption, and the text outside
    // code blocks, where a Markdown table that did not render shows as '|' lines.
    content_images: (() => {
      const content = document.querySelector('article.bd-article, main, body');
      return Array.from(content.querySelectorAll('img')).map(img => {
        const figure = img.closest('figure');
        const caption = figure ? figure.querySelector('figcaption') : null;
        return {src: img.currentSrc || img.src, alt: img.getAttribute('alt'),
                caption: caption ? caption.innerText.trim() : null};
      });
    })(),
    prose_text: (() => {
      const content = document.querySelector('article.bd-article, main, body').cloneNode(true);
      content.querySelectorAll('pre, code, .highlight, script, style').forEach(e => e.remove());
      return content.textContent;
    })(),
  };
})()
"""


@dataclass
class PageReport:
    url: str
    state: dict
    requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    screenshots: list[Path] = field(default_factory=list)

    def record(self, event: dict) -> None:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            self.failed_requests.append(f"{params.get('errorText')} (request {params.get('requestId')})")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            text = " ".join(str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", []))
            self.console_errors.append(f"console.{params['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            description = details.get("exception", {}).get("description") or details.get("text")
            self.console_errors.append(f"uncaught exception: {description} at {details.get('url', '?')}:{details.get('lineNumber', '?')}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            self.console_errors.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}".strip())

    @property
    def off_machine_requests(self) -> list[str]:
        return [url for url in self.requests if not is_local(url)]


@pytest.fixture(scope="session")
def built_book() -> Path:
    """book/_build/html, built once (strictly) if a page of the toc is missing or older than its sources.

    COURSE_BOOK_REBUILD=1 forces the build.
    """
    html = book.html_dir(ROOT)
    sources = book.book_dir(ROOT)
    outputs = [html / f"{page}.html" for page in expected_pages()]
    missing = [path for path in outputs if not path.is_file()]
    stale = False
    if not missing:
        newest_source = max(
            path.stat().st_mtime
            for path in [sources / "_config.yml", sources / "_toc.yml", *sources.glob("*.md"), *sources.glob("*.ipynb")]
            if path.is_file()
        )
        stale = newest_source > min(path.stat().st_mtime for path in outputs)
    if missing or stale or os.environ.get("COURSE_BOOK_REBUILD"):
        code = book.build(ROOT)
        assert code == 0, f"the strict book build failed (exit {code}); see {book.book_dir(ROOT) / '_build' / book.LOG_NAME}"
    return html


@pytest.fixture(scope="session")
def toc_pages() -> list[str]:
    return expected_pages()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    folder = Path(os.environ.get("COURSE_SCREENSHOT_DIR") or book.book_dir(ROOT) / "_build" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def chromium():
    executable = find_chromium()
    if executable is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    browser = Chromium(executable)
    try:
        yield browser
    finally:
        browser.close()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`page` runs a test once for every page of book/_toc.yml."""
    if "page" in metafunc.fixturenames:
        metafunc.parametrize("page", expected_pages())
