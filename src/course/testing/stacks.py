"""Every thread's stack as plain data, read without making frame objects of other threads.

`sys._current_frames()` and a walk along `f_back` make frame objects for the
frames another thread is running. While that thread runs on (threads switch
every microsecond under `provoke_races`), CPython 3.11.2, the interpreter of
Debian bookworm and so of the classroom image, now and then dies of a
segmentation fault on such a frame (measured: a timeline sampler walking the
stacks of bank_account's transfer threads crashed 2 runs of 12 there; 3.11.7
did not crash). The grader must never crash a student's run that way.

faulthandler's dumper reads the interpreter's frames in C, makes no object,
and is written to run even in a signal handler; `thread_stacks` has it write
every thread's stack into an in-memory file and parses the text back. What it
gives per frame is the file, the line and the function's name (not its
qualified name: `qualified_name` finds that in the source); at most 100
frames per thread (the innermost) and 100 threads.
"""

from __future__ import annotations

import ast
import faulthandler
import functools
import linecache
import os
import re
import tempfile
import threading

Frame = tuple[str, int, str]  # file, line (0 when unknown), function name

_THREAD = re.compile(r"^(?:Current thread|Thread) 0x([0-9a-f]+) \(most recent call first\):$")
_FRAME = re.compile(r'^  File "(.*)", line (\d+|\?\?\?) in (.*)$')


def thread_stacks() -> dict[int, list[Frame]]:
    """{thread ident: its frames, innermost first}, for every thread of this interpreter."""
    return parse_dump(_dump())


def _dump() -> str:
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("course-stacks", os.MFD_CLOEXEC)
    else:  # not Linux: an unnamed temporary file
        fd, name = tempfile.mkstemp(prefix="course-stacks-")
        os.unlink(name)
    try:
        faulthandler.dump_traceback(fd, all_threads=True)
        size = os.lseek(fd, 0, os.SEEK_CUR)
        os.lseek(fd, 0, os.SEEK_SET)
        chunks, left = [], size
        while left > 0 and (chunk := os.read(fd, left)):
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks).decode("ascii", "replace")
    finally:
        os.close(fd)


def parse_dump(text: str) -> dict[int, list[Frame]]:
    """faulthandler's text (all threads) as {ident: frames, innermost first}."""
    stacks: dict[int, list[Frame]] = {}
    frames: list[Frame] | None = None
    for line in text.splitlines():
        if thread := _THREAD.match(line):
            frames = stacks.setdefault(int(thread.group(1), 16), [])
        elif frames is not None and (frame := _FRAME.match(line)):
            number = frame.group(2)
            frames.append((frame.group(1), int(number) if number.isdigit() else 0, frame.group(3)))
    return stacks


def format_stacks(stacks: dict[int, list[Frame]], idents=None, last: int | None = None) -> str:
    """Stacks as text, outermost call first like a traceback, each under its thread's name;
    `idents` chooses the threads (default: all), `last` keeps only the innermost frames."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    parts = []
    for ident in stacks if idents is None else idents:
        frames = stacks.get(ident)
        if frames is None:
            continue
        lines = []
        for filename, number, function in reversed(frames[:last] if last else frames):
            lines.append(f'  File "{filename}", line {number}, in {function}\n')
            if source := linecache.getline(filename, number).strip():
                lines.append(f"    {source}\n")
        parts.append(f"--- thread {names.get(ident, ident)} ---\n" + "".join(lines))
    return "\n".join(parts)


@functools.lru_cache(maxsize=64)
def parsed_source(filename: str) -> ast.Module | None:
    """The file's syntax tree (through linecache), None when it cannot be read or parsed."""
    try:
        return ast.parse("".join(linecache.getlines(filename)))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


@functools.lru_cache(maxsize=256)
def _definitions(filename: str) -> tuple[tuple[int, int, str, str], ...]:
    """(first line, last line, name, qualified name) of every function in the file."""
    tree = parsed_source(filename)
    if tree is None:
        return ()
    found = []

    def visit(node, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.append((child.lineno, child.end_lineno or child.lineno, child.name, prefix + child.name))
                visit(child, f"{prefix}{child.name}.<locals>.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return tuple(found)


def qualified_name(frame: Frame) -> str:
    """`Account.deposit` for a frame of `deposit` in class Account: the innermost definition
    of that name around the frame's line, or the bare name when the source does not say."""
    filename, number, function = frame
    around = [d for d in _definitions(filename) if d[2] == function and d[0] <= number <= d[1]]
    return max(around, key=lambda d: d[0])[3] if around else function
