"""Mutation operators on the standard `ast` module, applied as edits of the source text.

Why not a kept engine: cosmic-ray applies each mutation to the file in place in the
working tree (the reference solution, in a checkout shared by many people) and
judges a mutant by a test command's exit status, with operators registered as
package entry points; mutmut 3 rewrites every function into trampolines and runs
pytest in its own process with a fixed set of operators. A mutant here must be
judged by OUR grader (sandbox, repeats, a task losing points), and most of what
matters are concurrency operators that restructure statements (a lock taken after
its check, a `finally` body moved out). Each operator is a small function over the
parsed tree; a mutation is an edit of the original text (not `ast.unparse` of the
whole module), so line numbers, comments and formatting elsewhere stay as they were
and a mutant's line can be read in the reference file.

An edit that removes or replaces a statement leaves a comment saying what it was
(`pass  # was: t.join()`), so the mutated line names the change on its own: that
line is what a survivors file matches on.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Callable, Iterator


@dataclass(frozen=True)
class Mutant:
    operator: str
    line: int  # 1-based line of the change in the reference source
    original: str  # that line of the reference, stripped
    mutated: str  # that line of the mutant, stripped
    source: str  # the whole mutated module


@dataclass(frozen=True)
class Edit:
    """Replace the text from `start` to `end` ((line, byte column), as ast numbers them) by `text`."""

    node: ast.AST  # the node the change is reported at
    start: tuple[int, int]
    end: tuple[int, int]
    text: str
    statement: bool  # True: `text` is statements, later lines are indented like the first


def _span(node: ast.AST) -> tuple[tuple[int, int], tuple[int, int]]:
    return (node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset)


def _replace(node: ast.AST, text: str, *, statement: bool = False, at: ast.AST | None = None) -> Edit:
    start, end = _span(node)
    return Edit(at or node, start, end, text, statement)


def _replaced_expression(node: ast.expr, new: ast.expr) -> Edit:
    return _replace(node, ast.unparse(new))


def _unparse_statements(statements: list[ast.stmt]) -> str:
    return "\n".join(ast.unparse(statement) for statement in statements) or "pass"


def _was(lines: list[str], node: ast.AST, end: tuple[int, int] | None = None) -> str:
    """A comment naming the line a change replaced, unless code follows on that line."""
    end_line, end_column = end or (node.end_lineno, node.end_col_offset)
    rest = lines[end_line - 1].encode()[end_column:].strip()
    if rest and not rest.startswith(b"#"):
        return ""
    first = lines[node.lineno - 1]
    if end_line == node.lineno:  # the line's own comment stays after the edit: do not repeat it
        first = first.encode()[:end_column].decode()
    return f"  # was: {first.strip()}"


def _calls_method(node: ast.AST, names: set[str]) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names


def _own_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """Nodes inside `node`, not descending into nested functions or classes."""
    for child in ast.iter_child_nodes(node):
        yield child
        if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            yield from _own_nodes(child)


def _is_docstring(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) and isinstance(statement.value.value, str)


# ---------------------------------------------------------------- the usual operators

COMPARISONS: dict[type, tuple[type, ...]] = {
    ast.Lt: (ast.LtE, ast.Gt), ast.LtE: (ast.Lt, ast.GtE), ast.Gt: (ast.GtE, ast.Lt), ast.GtE: (ast.Gt, ast.LtE),
    ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,), ast.Is: (ast.IsNot,), ast.IsNot: (ast.Is,),
    ast.In: (ast.NotIn,), ast.NotIn: (ast.In,),
}
ARITHMETIC: dict[type, type] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult,
}


def comparison(tree: ast.Module, lines: list[str]) -> Iterator[Edit]:
    """`a < b` becomes `a <= b` and `a > b` (each operator its boundary and its opposite)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for index, op in enumerate(node.ops):
                for other in COMPARISONS.get(type(op), ()):
                    new = ast.Compare(node.left, [*node.ops[:index], other(), *node.ops[index + 1:]], node.comparators)
                    yield _replaced_expression(node, new)


def arithmetic(tree: ast.Module, lines: list[str]) -> Iterator[Edit]:
    """`+` becomes `-`, `*` becomes `/` and so on, in expressions and in `x += y`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and type(node.op) in ARITHMETIC:
            yield _replaced_expression(node, ast.BinOp(node.left, ARITHMETIC[type(node.op)](), node.right))
        elif isinstance(node, ast.AugAssign) and type(node.op) in ARITHMETIC and node.lineno == node.end_lineno:
            new = ast.AugAssign(node.target, ARITHMETIC[type(node.op)](), node.value)
            yield _replace(node, ast.unparse(new), statement=True)


def constant(tree: ast.Module, lines: list[str]) -> Iterator[Edit]:
    """A number one more and one less (booleans are left to `return_value`)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            for delta in (1, -1):
                yield _replaced_expression(node, ast.Constant(node.value + delta))


def delete_statement(tree: ast.Module, lines: list[str]) -> Iterator[Edit]:
    """A statement replaced by `pass` (not definitions, imports or docstrings: their
    loss only raises NameError, which every test notices)."""
    skipped = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom, ast.Pass,
               ast.Global, ast.Nonlocal)
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and not isinstance(node, skipped) and not _is_docstring(node):
            yield _replace(node, "pass" + _was(lines, node), statement=True)


def return_value(tree: ast.Module, lines: list[str]) -> Iterator[Edit]:
    """`return x` becomes `return None`; `return True` becomes `return False` and back."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Return) and node.value is not None:
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, bool):
                yield _replaced_expression(value, ast.Constant(not value.value))
            elif not (isinstance(value, ast.Constant) and value.value is None):
                yield _replaced_expression(value, ast.Constant(None))


def and_or(tree: ast.Module, lines: list[str]) -> Iterator[Edit]:
    """`and` becomes `or` and back."""
    for node in ast.walk(tree):
        if isinstance(node, ast.BoolOp):
            other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            yield _replaced_expression(node, ast.BoolOp(other, node.values))


# ---------------------------------------------------------------- concurrency operators

def _is_lock_item(item: ast.withitem) -> bool:
    """`with self._lock:` but not `with open(f) as handle:` or `with Pool() as pool:`."""
    return item.optional_vars is None and isinstance(item.context_expr, (ast.Name, ast.Attribute))


def _with_header_end(node: ast.With | ast.AsyncWith, lines: list[str]) -> tuple[int, int]:
    """Where the `with ...:` header's colon ends (byte column, as ast counts)."""
    last = node.items[-1].context_expr
    line = lines[last.end_lineno - 1].encode()
    colon = line.index(b":", last.end_col_offset)
    return last.end_lineno, colon + 1


def lock_removed(tree: ast.Module, lines: list[str]) -> Iterator[Edit]:
    """`with lock:` (or asyncio's `async with lock:`, a Lock or a Semaphore) loses one lock;
    with its only lock gone it becomes `if True:` (body kept)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            keyword = "async with " if isinstance(node, ast.AsyncWith) else "with "
            end = _with_header_end(node, lines)
            for index, item in enumerate(node.items):
                if _is_lock_item(item):
                    rest = node.items[:index] + node.items[index + 1:]
                    header = keyword + ", ".join(ast.unparse(i) for i in rest) + ":" if rest else "if True:"
                    yield Edit(node, (node.lineno, node.col_offset), end, header + _was(lines, node, end), True)


def lock_after_check(tree: ast.Module, lines: list[str]) -> Iterator[Edit]:
    """The statements up to the first `if` inside `with lock:` move before the lock:
    the check (and the read it uses) runs unlocked, the change after it locked."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.With, ast.AsyncWith)) and all(_is_lock_item(i) for i in node.items):
            checks = [i for i, statement in enumerate(node.body) if isinstance(statement, ast.If)]
            if checks and checks[0] < len(node.body) - 1:
                cut = checks[0] + 1
                moved = ast.copy_location(type(node)(node.items, node.body[cut:], None), node)
                text = _unparse_statements(node.body[:cut]) + "\n" + ast.unparse(moved)
                yield _replace(node, text, statement=True)


def while_to_if(tree: ast.Module, lines: list[str]) -> Iterator[Edit]:
    """`while not ready: cond.wait()` becomes `if not ready: cond.wait()` (a spurious or
    stolen wake-up is no longer re-checked)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.While) and any(_calls_method(n, {"wait"}) for n in _own_nodes(node)):
            line = lines[node.lineno - 1].encode()
            start = node.col_offset
            assert line[start:start + 5] == b"while"
            yield Edit(node, (node.lineno, start), (node.lineno, start + 5), "if", False)


def notify_all_to_notify(tree: ast.Module, lines: list[str]) -> Iterator[Edit]:
    """`cond.notify_all()` wakes one waiter only."""
    for node in ast.walk(tree):
        if _calls_method(node, {"notify_all", "notifyAll"}):
            attribute = node.func
            end = (attribute.end_lineno, attribute.end_col_offset)
            start = (attribute.end_lineno, attribute.end_col_offset - len(attribute.attr))
            yield Edit(node, start, end, "notify", False)


def _waits(call: ast.Call) -> bool:
    if call.func.attr != "shutdown":
        return True
    return not any(k.arg == "wait" and isinstance(k.value, ast.Constant) and k.value.value is False for k in call.keywords)


def wait_removed(tree: ast.Module, lines: list[str]) -> Iterator[Edit]:
    """A `join()`, `shutdown()` (waiting) or `close()` call statement deleted."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and _calls_method(node.value, {"join", "shutdown", "close"}) and _waits(node.value):
            yield _replace(node, "pass" + _was(lines, node), statement=True)


# a positional argument that is a timeout: thing.wait(t), thread.join(t), cond.wait_for(pred, t)
POSITIONAL_TIMEOUT = {"wait": 0, "join": 0, "wait_for": 1}


def timeout_dropped(tree: ast.Module, lines: list[str]) -> Iterator[Edit]:
    """A timeout argument dropped, or set to None (wait forever)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for index, keyword in enumerate(node.keywords):
            if keyword.arg == "timeout":
                others = node.keywords[:index] + node.keywords[index + 1:]
                yield _replaced_expression(node, ast.Call(node.func, node.args, others))
                if not (isinstance(keyword.value, ast.Constant) and keyword.value.value is None):
                    none = ast.keyword("timeout", ast.Constant(None))
                    yield _replaced_expression(node, ast.Call(node.func, node.args, [*others[:index], none, *others[index:]]))
        position = POSITIONAL_TIMEOUT.get(getattr(node.func, "attr", None))
        on_text = isinstance(getattr(node.func, "value", None), (ast.Constant, ast.JoinedStr))  # ", ".join(names)
        if position is not None and not on_text and len(node.args) == position + 1 and not isinstance(node.args[position], ast.Starred):
            yield _replaced_expression(node, ast.Call(node.func, node.args[:position], node.keywords))
            if not (isinstance(node.args[position], ast.Constant) and node.args[position].value is None):
                yield _replaced_expression(node, ast.Call(node.func, [*node.args[:position], ast.Constant(None)], node.keywords))


def _without_finally(node: ast.Try, kept_final: list[ast.stmt]) -> list[ast.stmt]:
    """The try statement with `kept_final` as its finally body (a bare try/finally unwraps)."""
    if not node.handlers and not kept_final:
        return node.body + node.orelse
    return [ast.Try(node.body, node.handlers, node.orelse, kept_final)]


def finally_moved(tree: ast.Module, lines: list[str]) -> Iterator[Edit]:
    """A `finally` body moved after the try: it no longer runs when an exception escapes."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and node.finalbody:
            text = _unparse_statements(_without_finally(node, []) + node.finalbody)
            yield _replace(node, text, statement=True)


def release_on_error(tree: ast.Module, lines: list[str]) -> Iterator[Edit]:
    """A `release()` missing on the error path: deleted from an `except` handler, or moved
    out of a `finally` (it then runs only when no exception escaped)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Try):
            continue
        for handler in node.handlers:
            for statement in handler.body:
                if isinstance(statement, ast.Expr) and _calls_method(statement.value, {"release"}):
                    yield _replace(statement, "pass" + _was(lines, statement), statement=True)
        releases = [s for s in node.finalbody if isinstance(s, ast.Expr) and _calls_method(s.value, {"release"})]
        if releases:
            kept = [s for s in node.finalbody if s not in releases]
            text = _unparse_statements(_without_finally(node, kept) + releases)
            yield _replace(node, text, statement=True)


Operator = Callable[[ast.Module, list[str]], Iterator[Edit]]

OPERATORS: dict[str, Operator] = {
    # concurrency operators first: a duplicate mutant is kept under the first operator that made it
    "lock_removed": lock_removed,
    "lock_after_check": lock_after_check,
    "while_to_if": while_to_if,
    "notify_all_to_notify": notify_all_to_notify,
    "wait_removed": wait_removed,
    "timeout_dropped": timeout_dropped,
    "release_on_error": release_on_error,
    "finally_moved": finally_moved,
    "comparison": comparison,
    "arithmetic": arithmetic,
    "constant": constant,
    "return_value": return_value,
    "and_or": and_or,
    "delete_statement": delete_statement,
}
CONCURRENCY_OPERATORS = ("lock_removed", "lock_after_check", "while_to_if", "notify_all_to_notify", "wait_removed",
                         "timeout_dropped", "release_on_error", "finally_moved")


def apply(source: str, edit: Edit) -> str:
    """The source with one edit made; the line count is kept where the new text is shorter."""
    lines = source.splitlines(keepends=True)
    (first, start), (last, end) = edit.start, edit.end
    head = lines[first - 1].encode()[:start].decode()
    tail = lines[last - 1].encode()[end:].decode()
    new = edit.text.split("\n")
    if edit.statement:
        indent = head if not head.strip() else " " * len(head)
        new = new[:1] + [indent + line if line else line for line in new[1:]]
    missing = (last - first) - (len(new) - 1)
    text = "\n".join(new)
    if missing > 0:
        # Keep every later line where it was: blank lines after statements, or
        # newlines inside parentheses after an expression.
        text = text + "\n" * missing if edit.statement else "(" + text + "\n" * missing + ")"
    return "".join(lines[:first - 1]) + head + text + tail + "".join(lines[last:])


def _fingerprint(source: str) -> str | None:
    try:
        return ast.dump(ast.parse(source))
    except SyntaxError:
        return None


def mutants(source: str, operators: list[str] | tuple[str, ...] | None = None) -> list[Mutant]:
    """Every mutant of `source` by the named operators (default: all), in a stable order.

    Dropped: a mutant that does not compile, one identical to the original
    (same tree), and one identical to a mutant already made.
    """
    names = list(operators) if operators else list(OPERATORS)
    unknown = [name for name in names if name not in OPERATORS]
    if unknown:
        raise ValueError(f"unknown mutation operator(s): {', '.join(unknown)}; known: {', '.join(OPERATORS)}")
    tree = ast.parse(source)
    lines = source.splitlines()
    seen = {ast.dump(tree)}
    made: list[Mutant] = []
    for name in names:
        for edit in sorted(OPERATORS[name](tree, lines), key=lambda e: e.start):
            mutated = apply(source, edit)
            fingerprint = _fingerprint(mutated)
            if fingerprint is None or fingerprint in seen:
                continue
            try:
                compile(mutated, "<mutant>", "exec", dont_inherit=True)
            except (SyntaxError, ValueError):
                continue
            seen.add(fingerprint)
            line = edit.node.lineno
            made.append(Mutant(name, line, lines[line - 1].strip(), mutated.splitlines()[line - 1].strip(), mutated))
    return made
