"""`course book`: build the course book strictly, and serve it on 127.0.0.1.

    course book                 build book/ into book/_build/html (strict: any warning fails)
    course book --serve         build, then serve it on http://127.0.0.1:8000/ until Ctrl-C
    course book --no-build --serve --port 8080    serve what was built last
    course book --no-build --serve --host 0.0.0.0 in a container that publishes the port
    course book --force         build even when nothing the book depends on changed

`course book` skips the build, and says so, when nothing the book depends on
changed since the last successful build: a SHA-256 of the contents of book/
(without _build), labs/, course.toml, exercises/, solutions/, tests/buggy/ (the
"common mistakes" are read from it) and the toolkit's sources, kept in
book/_build/inputs.sha256. That makes a second `make start` take seconds, not a
minute. The build itself always rebuilds every page.

The build is the one CI runs:

    jupyter-book build --all -W -n --keep-going book/

`--all` rebuilds every page (otherwise Sphinx rebuilds only changed pages and old
warnings vanish), `-W` turns every warning into a failure (a broken `{ref}`, `{doc}`
or Markdown link, a missing literalinclude), `-n` checks every cross-reference, and
`nb_execution_raise_on_error` in book/_config.yml makes a failing code cell fail the
build. `--keep-going` reports every problem of a build, not only the first.

It always runs the jupyter-book of this interpreter's environment (the script next to
`sys.executable`), never one found first on PATH.

Also runnable as `python -m course book [--serve] [--port N] [--no-build]`; the
Makefile and CI call `build(root)`.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import http.server
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

from rich.console import Console
from rich.markup import escape

from course.catalogue import CatalogueError, find_root

BOOK_DIR = "book"
BUILD_FLAGS = ("build", "--all", "-W", "-n", "--keep-going")
DEFAULT_PORT = 8000
DEFAULT_HOST = "127.0.0.1"  # a container passes --host 0.0.0.0 and publishes the port itself
LOG_NAME = "build.log"  # book/_build/build.log: the whole output of the last build
STAMP_NAME = "inputs.sha256"  # book/_build/inputs.sha256: what the last good build was built from
# What the pages include, execute or read, relative to the course root.
INPUTS = ("book", "labs", "course.toml", "exercises", "solutions", "tests/buggy", "src/course")
_SKIPPED_PARTS = {"_build", "__pycache__", ".ipynb_checkpoints", ".pytest_cache"}

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Lines worth showing even when the build goes well (case matters: the myst-nb
# settings line names `execution_raise_on_error`, which is not a problem).
_PROBLEM = re.compile(
    r"\bWARNING\b|\bERROR\b|\bCRITICAL\b|\bSEVERE\b|Traceback|Exception occurred|"
    r"\b[A-Z]\w*(Error|Exception)\b|error in building"
)
# Lines of a problem report that only repeat jupyter-book's and Sphinx's internals.
_NOISE = re.compile(
    r"^(\[IPKernelApp\] WARNING \| Kernel is running over TCP|\s*[\^~]+\s*$|"
    r"The full traceback has been saved|Please also report|can be provided next time|"
    r"A bug report can be filed|<https://github.com/sphinx-doc/sphinx/issues>)"
)
# Sphinx's own progress lines: they end a multi-line problem report.
_PROGRESS = re.compile(
    r"^(Running |Source Folder|Config Path|Output Path|loading |making output|building |"
    r"reading sources|writing output|looking for|pickling|checking consistency|preparing|"
    r"copying|generating|dumping|highlighting|build (succeeded|finished)|Executing|"
    r"Executed|The HTML pages|Finished generating|\[etoc\]|\[mystnb|\[jupyter-book\]|=+$)"
)


def book_dir(root: Path) -> Path:
    return root / BOOK_DIR


def html_dir(root: Path) -> Path:
    return book_dir(root) / "_build" / "html"


def inputs_digest(root: Path) -> str:
    """A SHA-256 over the path and contents of every file the book depends on."""
    digest = hashlib.sha256()
    for name in INPUTS:
        top = root / name
        files = [top] if top.is_file() else sorted(top.rglob("*")) if top.is_dir() else []
        for path in files:
            relative = path.relative_to(root)
            if not path.is_file() or _SKIPPED_PARTS.intersection(relative.parts) or path.suffix == ".pyc":
                continue
            digest.update(relative.as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


def stamp_path(root: Path) -> Path:
    return book_dir(root) / "_build" / STAMP_NAME


def up_to_date(root: Path) -> bool:
    """True when the last successful build was made from exactly the inputs there are now."""
    stamp = stamp_path(root)
    if not stamp.is_file() or not (html_dir(root) / "index.html").is_file():
        return False
    return stamp.read_text(encoding="utf-8").strip() == inputs_digest(root)


def jupyter_book_command() -> list[str]:
    """The jupyter-book of this environment: the script next to sys.executable."""
    script = Path(sys.executable).parent / ("jupyter-book.exe" if os.name == "nt" else "jupyter-book")
    if script.is_file():
        return [str(script)]
    # jupyter_book has no __main__ module; call its CLI entry point directly.
    return [
        sys.executable,
        "-c",
        "import sys; from jupyter_book.cli.main import main; sys.argv[0] = 'jupyter-book'; sys.exit(main())",
    ]


def build_command(source: Path, *, strict: bool = True) -> list[str]:
    flags = BUILD_FLAGS if strict else ("build", "--all", "--keep-going")
    return [*jupyter_book_command(), *flags, str(source)]


def build(
    root: Path | None = None,
    *,
    strict: bool = True,
    source: Path | None = None,
    console: Console | None = None,
    verbose: bool = False,
) -> int:
    """Build the book under root (or the book folder `source`); return the exit code.

    Streams progress, shows every warning and error as it comes, keeps the whole
    output in _build/build.log, and says where to open the result.
    """
    console = console or Console(highlight=False)
    digest = None
    if source is None:
        root = root or find_root()
        source = book_dir(root)
        digest = inputs_digest(root)  # before the build: a change made during it rebuilds next time
    source = Path(source).resolve()
    if not (source / "_config.yml").is_file() or not (source / "_toc.yml").is_file():
        console.print(f"[red]No book in {source}: it needs _config.yml and _toc.yml.[/red]")
        return 2
    command = build_command(source, strict=strict)
    build_folder = source / "_build"
    build_folder.mkdir(parents=True, exist_ok=True)
    log_path = build_folder / LOG_NAME
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYDEVD_DISABLE_FILE_VALIDATION="1")

    console.print(f"[bold]Building the book[/bold] ({'strict' if strict else 'not strict'}): {escape(' '.join(command))}", soft_wrap=True)
    started = time.monotonic()
    problems = 0
    in_problem = in_frame = False
    with log_path.open("w", encoding="utf-8") as log, console.status("starting jupyter-book ...") as status:
        try:
            process = subprocess.Popen(
                command,
                cwd=source.parent,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
            )
        except OSError as error:
            console.print(f"[red]Could not run jupyter-book: {escape(str(error))}[/red]")
            return 2
        assert process.stdout is not None
        try:
            for raw in process.stdout:
                line = _ANSI.sub("", raw.rstrip("\n"))
                log.write(line + "\n")
                stripped = line.strip()
                if not stripped:
                    continue
                # A Python traceback frame ('  File "...", line N' and its indented source line).
                in_frame = line.startswith('  File "') or (in_frame and line.startswith("    "))
                if in_frame or _NOISE.match(line):
                    if verbose:
                        console.print(f"[dim]{escape(line)}[/dim]")
                elif _PROBLEM.search(line) and not _PROGRESS.match(stripped):
                    problems += 1
                    in_problem = True
                    console.print(f"[yellow]{escape(line)}[/yellow]")
                elif in_problem and not _PROGRESS.match(stripped):
                    console.print(f"[yellow]{escape(line)}[/yellow]")
                else:
                    in_problem = False
                    if verbose:
                        console.print(f"[dim]{escape(line)}[/dim]")
                status.update(f"[dim]{escape(stripped[:110])}[/dim]")
            code = process.wait()
        except KeyboardInterrupt:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            console.print("[red]Build interrupted.[/red]")
            return 130
    elapsed = time.monotonic() - started
    index = build_folder / "html" / "index.html"
    if code != 0:
        console.print(
            f"[bold red]The book build failed[/bold red] (exit {code}, {elapsed:.1f} s, "
            f"{problems} problem line{'s' if problems != 1 else ''} above); "
            f"the whole output is in {escape(str(log_path))}",
            soft_wrap=True,
        )
        return code or 1
    if digest is not None and root is not None:
        stamp_path(root).write_text(digest + "\n", encoding="utf-8")
    console.print(f"[bold green]The book is built[/bold green] in {elapsed:.1f} s. Open it:")
    console.print(f"  {escape(str(index))}", soft_wrap=True)
    console.print(f"  {index.as_uri()}", soft_wrap=True)
    return 0


def make_server(directory: Path, port: int = DEFAULT_PORT, host: str = DEFAULT_HOST) -> http.server.ThreadingHTTPServer:
    """An HTTP server for directory, on 127.0.0.1 unless told otherwise (port 0: any free port)."""

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args) -> None:  # noqa: A002 (the stdlib's name)
            pass

    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def serve(
    directory: Path,
    port: int = DEFAULT_PORT,
    *,
    host: str = DEFAULT_HOST,
    console: Console | None = None,
    ready: Callable[[http.server.ThreadingHTTPServer], None] | None = None,
) -> int:
    """Serve directory on host:port until Ctrl-C or SIGTERM (or until ready's server is shut down)."""
    console = console or Console(highlight=False)
    if not (directory / "index.html").is_file():
        console.print(f"[red]Nothing to serve: {escape(str(directory))}/index.html does not exist. Run `course book` first.[/red]")
        return 2
    try:
        server = make_server(directory, port, host)
    except OSError as error:
        console.print(f"[red]Cannot listen on {host}:{port}: {escape(str(error))}. Try another --port.[/red]")
        return 2
    bound_host, bound = server.server_address[:2]
    console.print(f"[bold]Serving the book[/bold] at http://{bound_host}:{bound}/ (Ctrl-C stops it)")
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _interrupt)  # `docker stop` stops it like Ctrl-C
    try:
        if ready is not None:
            ready(server)
        server.serve_forever()
    except KeyboardInterrupt:
        console.print("Stopped.")
    finally:
        server.server_close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--serve", action="store_true", help="serve the built book on 127.0.0.1 until Ctrl-C")
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address for --serve (default {DEFAULT_HOST}, this machine only)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port for --serve (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--no-build", action="store_true", help="do not build; use what book/_build/html holds")
    parser.add_argument("--verbose", "-v", action="store_true", help="show every line of jupyter-book's output")
    parser.add_argument("--force", action="store_true", help="build even when nothing the book depends on changed")


def run(args: argparse.Namespace) -> int:
    console = Console(highlight=False)
    try:
        root = find_root()
    except CatalogueError as error:
        console.print(f"[red]{escape(str(error))}[/red]")
        return 2
    if not getattr(args, "no_build", False):
        if not getattr(args, "force", False) and up_to_date(root):
            index = html_dir(root) / "index.html"
            console.print(
                "[bold green]The book is up to date[/bold green]: nothing it depends on "
                f"({', '.join(INPUTS)}) changed since the last build. "
                "`course book --force` rebuilds it.",
                soft_wrap=True,
            )
            console.print(f"  {index.as_uri()}", soft_wrap=True)
        else:
            code = build(root, console=console, verbose=getattr(args, "verbose", False))
            if code != 0:
                return code
    elif not getattr(args, "serve", False):
        index = html_dir(root) / "index.html"
        if not index.is_file():
            console.print(f"[red]{escape(str(index))} does not exist: run `course book` to build it.[/red]")
            return 2
        console.print(f"The book was built before: {escape(str(index))}")
    if getattr(args, "serve", False):
        return serve(
            html_dir(root), getattr(args, "port", DEFAULT_PORT), host=getattr(args, "host", DEFAULT_HOST), console=console
        )
    return 0
