"""A newcomer's first ten minutes: every command we print works when typed as printed."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from course import book
from course.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "fixture_course"
VENV_BIN = Path(sys.prefix) / "bin"


def without_venv_env() -> dict[str, str]:
    """A fresh terminal: the venv not activated, no COURSE_ROOT."""
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if Path(p) != VENV_BIN)
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_ROOT", "VIRTUAL_ENV")}
    return {**env, "PATH": path, "COLUMNS": "80"}


def printed_by_make_start() -> list[str]:
    """The commands `make start` tells the learner to type (its echo lines), as the shell prints them."""
    dry_run = subprocess.run(["make", "-n", "start"], cwd=ROOT, capture_output=True, text=True, timeout=30, check=True)
    commands = []
    for line in dry_run.stdout.splitlines():
        if line.startswith("echo ") and ".venv/bin/" in line:
            text = shlex.split(line)[1].strip()
            commands.append(text.split("#")[0].strip())
    return commands


def test_make_start_ends_with_commands_that_exist_without_activating():
    commands = printed_by_make_start()
    assert any(c.startswith(".venv/bin/course check") for c in commands), commands
    for command in commands:
        argv = shlex.split(command)
        if not argv[0].startswith(".venv/bin/"):
            continue  # the "source .venv/bin/activate" advice
        program = ROOT / argv[0]
        assert program.is_file() and os.access(program, os.X_OK), f"`{command}`: {argv[0]} does not exist"
        if program.name == "course":
            assert argv[1] in COMMANDS, f"`{command}`: no such course command"
        if argv[1:2] == ["-m"]:
            assert (ROOT / (argv[2].replace(".", "/") + ".py")).is_file(), f"`{command}`: no module {argv[2]}"


def test_the_install_message_does_not_promise_a_minute():
    makefile = (ROOT / "Makefile").read_text()
    assert "about a minute" not in makefile and "a few minutes" in makefile


def test_every_lab_command_in_the_readme_uses_the_venvs_python():
    readme = (ROOT / "README.md").read_text()
    for match in re.finditer(r"([^\s`]*)python -m (labs\.\w+\.\w+)", readme):
        assert match.group(1) == ".venv/bin/", f"README: `{match.group(0)}` fails outside the venv"
        if match.group(2) != "labs.CHAPTER.NAME":  # the placeholder in the layout table
            assert (ROOT / (match.group(2).replace(".", "/") + ".py")).is_file(), f"README: no lab {match.group(2)}"


@pytest.mark.timeout(120)
def test_the_next_step_course_list_prints_reaches_a_green_check_when_typed(tmp_path):
    root = tmp_path / "course"
    shutil.copytree(FIXTURE, root)
    shutil.copyfile(root / "solutions" / "basics" / "adder.py", root / "exercises" / "basics" / "adder.py")
    listing = subprocess.run([str(VENV_BIN / "course"), "list"], cwd=root, env=without_venv_env(),
                             capture_output=True, text=True, timeout=60)
    typed = re.search(r"then run `([^`]+)`", listing.stdout)
    assert typed, f"`course list` printed no command to type:\n{listing.stdout}"
    check = subprocess.run(shlex.split(typed.group(1)), cwd=root, env=without_venv_env(),
                           capture_output=True, text=True, timeout=90)
    assert check.returncode == 0, f"`{typed.group(1)}` as printed: {check.stdout}{check.stderr}"
    assert "Full marks" in check.stdout
    progress = json.loads((root / ".course" / "progress.json").read_text())
    assert progress["adder"]["score"] == 3


def test_the_book_build_command_is_printed_whole_on_a_narrow_terminal(tmp_path, monkeypatch):
    (tmp_path / "_config.yml").write_text("title: t\n")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\n")

    def no_jupyter_book(*args, **kwargs):
        raise OSError("not run in this test")

    monkeypatch.setattr(book.subprocess, "Popen", no_jupyter_book)
    console = Console(record=True, width=40, highlight=False)
    book.build(source=tmp_path, console=console)
    command = " ".join(book.build_command(tmp_path.resolve()))
    assert command in console.export_text(), "the build command was wrapped across lines"
