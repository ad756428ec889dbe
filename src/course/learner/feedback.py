"""The wording a learner reads after a check: failures without pytest's leftovers.

A graded test's message is written for the learner ("transfer(a, b, 500)
returned ..."); pytest appends its own explanation (`assert False`, `+ where
False = close(1.29, 3.7)`), object reprs carry memory addresses that change on
every run, and tracebacks name the staged copy the grader ran
(`.../course-tree-k3j/submission/ch02_threading/bank_account.py`) rather than
the file the learner edits. `tidy` removes the first two and names the file.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

# pytest's assertion explanation lines: " +  where False = close(1.29, 3.7)", " +    and 3 = f()"
_EXPLANATION = re.compile(r"^\s*\+\s+(where|and)\b")
# "<bank.Account object at 0x7f3a...>" -> "<bank.Account object>"
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
# Where a graded run sees the learner's tree: the plugin's symlink, the grader's staging and sandbox folders.
_STAGED = re.compile(r"[^\s\"'()]*/(?:course-tree-[^/\s]+/submission|course-stage-[^/\s]+/tree|\.course/tree)/")


def points(count: int) -> str:
    """ "1 point", "2 points"."""
    return f"{count} point" if count == 1 else f"{count} points"


def tidy(message: str, tree: str = "exercises") -> str:
    """The failure as the learner should read it (see the module docstring)."""
    lines = message.splitlines()
    if lines and lines[0].startswith("AssertionError: "):
        # A test's own message: pytest adds "assert <expression>" and its explanation after it.
        lines[0] = lines[0].removeprefix("AssertionError: ")
        for index in range(len(lines) - 1, 0, -1):
            if lines[index].startswith("assert "):
                lines = lines[:index]
                break
    kept = "\n".join(line for line in lines if not _EXPLANATION.match(line))
    return _STAGED.sub(f"{tree}/", _ADDRESS.sub("", kept))


def typed(program: str) -> str:
    """How the learner types `program` of this environment ("course", "python") from where they are.

    Its bare name when that is what the shell finds (an activated venv);
    otherwise its path (`.venv/bin/course`), which works without activating.
    """
    installed = Path(sys.prefix) / "bin" / program
    if program == "python" and not installed.exists():
        installed = Path(sys.executable)
    found = shutil.which(program)
    if found and Path(found).resolve() == installed.resolve():
        return program
    if not installed.exists():  # `python -m course` from a source tree: say what runs it
        return f"{typed('python')} -m course" if program == "course" else sys.executable
    relative = os.path.relpath(installed)
    return installed.as_posix() if relative.startswith("..") else relative
