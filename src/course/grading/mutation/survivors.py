"""Accepted surviving mutants: decisions kept next to an exercise's graded tests.

tests/exercises/CHAPTER/MODULE.survivors.toml lists the mutants of the
reference that no test can kill, each with why:

    [[survivor]]
    operator = "delete_statement"
    line = 57                      # a hint: the reference may have moved a little
    code = "pass  # was: self._io()"
    reason = "io() is the tests' hook; without it the locked update is still atomic"

A survivor is accepted when an entry has its operator and its mutated line
(`code`, stripped); when several entries or mutants share both, the nearest
line pairs them, so an edit that shifts the file does not unmatch them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from course.grading.mutation.operators import OPERATORS, Mutant

FIELDS = {"operator": str, "line": int, "code": str, "reason": str}


class SurvivorsError(Exception):
    """A survivors file that cannot be read; the message names the file and the entry."""


@dataclass(frozen=True)
class Survivor:
    operator: str
    line: int
    code: str
    reason: str


def survivors_file(test_file: Path) -> Path:
    """tests/exercises/CHAPTER/test_MODULE.py -> tests/exercises/CHAPTER/MODULE.survivors.toml"""
    return test_file.with_name(test_file.stem.removeprefix("test_") + ".survivors.toml")


def load(path: Path) -> list[Survivor]:
    """The accepted survivors in `path` (none when the file does not exist)."""
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SurvivorsError(f"{path}: not valid TOML: {error}") from None
    extra = set(data) - {"survivor"}
    if extra:
        raise SurvivorsError(f"{path}: unknown top-level key(s) {', '.join(sorted(extra))}; only [[survivor]] tables belong here")
    entries = data.get("survivor", [])
    if not isinstance(entries, list):
        raise SurvivorsError(f"{path}: `survivor` must be an array of tables ([[survivor]])")
    return [_entry(path, number, raw) for number, raw in enumerate(entries, start=1)]


def _entry(path: Path, number: int, raw: object) -> Survivor:
    where = f"{path}: survivor {number}"
    if not isinstance(raw, dict):
        raise SurvivorsError(f"{where}: must be a table")
    if unknown := set(raw) - set(FIELDS):
        raise SurvivorsError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    for name, kind in FIELDS.items():
        value = raw.get(name)
        if value is None:
            raise SurvivorsError(f"{where}: missing `{name}`")
        if not isinstance(value, kind) or isinstance(value, bool):
            raise SurvivorsError(f"{where}: `{name}` must be a {kind.__name__}, got {value!r}")
    if raw["operator"] not in OPERATORS:
        raise SurvivorsError(f"{where}: unknown operator {raw['operator']!r} (known: {', '.join(OPERATORS)})")
    if raw["line"] < 1:
        raise SurvivorsError(f"{where}: `line` must be 1 or more, got {raw['line']}")
    code, reason = raw["code"].strip(), raw["reason"].strip()
    if not code:
        raise SurvivorsError(f"{where}: `code` is empty")
    if not reason or "\n" in reason:
        raise SurvivorsError(f"{where}: `reason` must be one non-empty line")
    return Survivor(raw["operator"], raw["line"], code, reason)


def match(mutants: list[Mutant], accepted: list[Survivor]) -> dict[int, Survivor]:
    """Pairs surviving mutants (by index in `mutants`) with the entries that accept them.

    Each entry accepts at most one mutant: among mutants with its operator and
    code, the one nearest its line.
    """
    pairs: dict[int, Survivor] = {}
    for entry in accepted:
        candidates = [i for i, m in enumerate(mutants)
                      if i not in pairs and m.operator == entry.operator and m.mutated == entry.code]
        if candidates:
            pairs[min(candidates, key=lambda i: (abs(mutants[i].line - entry.line), i))] = entry
    return pairs
