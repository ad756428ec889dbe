"""`course book`: the command's options, the jupyter-book it runs, and the server."""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from course import book


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    book.add_arguments(parser)
    return parser.parse_args(argv)


def test_the_options_default_to_a_build_without_serving():
    args = parse()
    assert (args.serve, args.host, args.port, args.no_build) == (False, "127.0.0.1", book.DEFAULT_PORT, False)
    args = parse("--serve", "--port", "8123", "--no-build")
    assert (args.serve, args.port, args.no_build) == (True, 8123, True)


def test_the_build_runs_this_environments_jupyter_book_strictly(tmp_path):
    command = book.build_command(tmp_path)
    runner = command[0]
    assert runner == str(Path(sys.executable).parent / "jupyter-book") or runner == sys.executable, command
    assert command[-6:] == ["build", "--all", "-W", "-n", "--keep-going", str(tmp_path)], command


def test_a_folder_without_a_book_is_refused_with_a_message(tmp_path, capsys):
    assert book.build(source=tmp_path) == 2
    assert "_config.yml" in capsys.readouterr().out


def test_no_build_without_a_built_book_says_to_build_it(tmp_path, monkeypatch, capsys):
    (tmp_path / "course.toml").write_text('[course]\ntitle = "t"\n', encoding="utf-8")
    monkeypatch.setenv("COURSE_ROOT", str(tmp_path))
    assert book.run(parse("--no-build")) == 2
    assert "course book" in capsys.readouterr().out


def test_the_server_serves_the_built_html_on_127_0_0_1_only(tmp_path):
    (tmp_path / "index.html").write_text("<p>the book</p>", encoding="utf-8")
    server = book.make_server(tmp_path, port=0)
    thread = threading.Thread(target=server.serve_forever, name="book-server", daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            assert b"the book" in response.read()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_python_dash_m_course_book_shows_its_options():
    result = subprocess.run([sys.executable, "-m", "course", "book", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for option in ("--serve", "--port", "--no-build", "--force"):
        assert option in result.stdout, result.stdout


def test_serve_stops_cleanly_on_sigterm(tmp_path):
    """`docker stop` sends SIGTERM: the server says so and exits 0, like after Ctrl-C."""
    (tmp_path / "course.toml").write_text('[course]\ntitle = "t"\n', encoding="utf-8")
    html = tmp_path / "book" / "_build" / "html"
    html.mkdir(parents=True)
    (html / "index.html").write_text("<p>the book</p>", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "course", "book", "--no-build", "--serve", "--port", "0"],
        cwd=tmp_path,
        env={**os.environ, "COURSE_ROOT": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        first = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", first)
        assert match, f"the server did not say where it listens: {first!r}"
        with urllib.request.urlopen(f"http://127.0.0.1:{match.group(1)}/", timeout=10) as response:
            assert b"the book" in response.read()
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, f"exit {process.returncode} after SIGTERM:\n{first}{output}"
    assert "Stopped" in output, output
