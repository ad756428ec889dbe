"""`course` has one table of commands; choosing one imports only what it needs."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

import course
from course.cli import COMMANDS, _resolve, build_parser

PACKAGE = Path(course.__file__).parent
# The sandbox's own entry point: started by the grader with fixed arguments, never typed by anyone.
INTERNAL_ENTRY_POINTS = {PACKAGE / "grading" / "child.py"}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_a_handler_and_options_that_resolve(name):
    command = COMMANDS[name]
    assert callable(_resolve(command.run))
    parser = argparse.ArgumentParser()
    if command.arguments is not None:
        _resolve(command.arguments)(parser)


def test_the_services_are_commands_of_the_same_table():
    assert {"pyro-nameserver", "pyro-worker", "celery-worker"} <= set(COMMANDS)


def test_no_other_module_has_an_argparse_main_of_its_own():
    offenders = [
        str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
        if "pristine" not in path.parts and path not in INTERNAL_ENTRY_POINTS and path.name != "cli.py"
        and "ArgumentParser(" in path.read_text(encoding="utf-8")
    ]
    assert not offenders, f"argparse parsers outside course.cli: {offenders}"


def test_only_the_chosen_command_gets_options(capsys):
    assert build_parser("grade").parse_args(["grade", "--against", "x"]).against == "x"
    with pytest.raises(SystemExit):
        build_parser("check").parse_args(["grade", "--against", "x"])  # grade's options were never added


@pytest.mark.timeout(60)
def test_choosing_check_imports_neither_celery_nor_pyro_nor_matplotlib():
    probe = (
        "import sys; from course.cli import build_parser, COMMANDS, _resolve\n"
        "args = build_parser('check').parse_args(['check', 'amdahl'])\n"
        "_resolve(COMMANDS[args.command].run)\n"
        "print(sorted(m for m in ('celery', 'Pyro5', 'matplotlib') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"`course check` imported {result.stdout.strip()}"
