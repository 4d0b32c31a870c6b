"""Reading Python migration files with :mod:`ast`: literals, calls, module constants.

Shared by the framework readers (Alembic, Django) for what they read without importing
the file: revision identifiers, the calls of ``upgrade()`` in source order, string
literals and the line their text starts on.  Nothing here imports a framework.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

from ...util.records import record


class Unknown:
    """A value that cannot be read statically (a variable, a call, an f-string)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()


def parse(text: str, filename: str = "<migration>") -> ast.Module | None:
    """The module *text* parsed, or ``None`` when it is not valid Python."""
    try:
        return ast.parse(text, filename)
    except (SyntaxError, ValueError):
        return None


def literal(node: ast.AST | None) -> Any:
    """The value of a literal expression: strings, numbers, ``None``, booleans, tuples and
    lists of them, string concatenations; :data:`UNKNOWN` for anything else."""
    if node is None:
        return UNKNOWN
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.Tuple, ast.List)):
        items = [literal(e) for e in node.elts]
        return UNKNOWN if any(i is UNKNOWN for i in items) else tuple(items)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = literal(node.left), literal(node.right)
        if isinstance(left, str) and isinstance(right, str):
            return left + right
    return UNKNOWN


def assignments(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level ``name = value`` and ``name: type = value`` assignments (the last one
    of each name)."""
    found: dict[str, ast.expr] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            if isinstance(stmt.target, ast.Name):
                found[stmt.target.id] = stmt.value
    return found


def function(tree: ast.Module, name: str) -> ast.FunctionDef | None:
    """The module-level function *name*."""
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef) and stmt.name == name:
            return stmt
    return None


def dotted(node: ast.AST) -> str:
    """``a.b.c`` for a name or attribute chain, else ``""``."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def calls(node: ast.AST) -> Iterator[ast.Call]:
    """Every call below *node*, in source order (an outer call before its arguments)."""
    found = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
    found.sort(key=lambda c: (c.lineno, c.col_offset))
    return iter(found)


@record
class Arguments:
    """A call's arguments by position and keyword (``argument(i, name)`` reads either)."""

    positional: tuple[ast.expr, ...]
    keywords: dict[str, ast.expr]

    @classmethod
    def of(cls, call: ast.Call) -> Arguments:
        return cls(tuple(call.args), {k.arg: k.value for k in call.keywords if k.arg is not None})

    def node(self, index: int, name: str) -> ast.expr | None:
        if name in self.keywords:
            return self.keywords[name]
        if 0 <= index < len(self.positional):
            item = self.positional[index]
            return None if isinstance(item, ast.Starred) else item
        return None

    def value(self, index: int, name: str, default: Any = None) -> Any:
        node = self.node(index, name)
        return default if node is None else literal(node)


def text_line(node: ast.AST) -> int:
    """The line where the text of the string literal *node* starts once stripped (as
    Alembic strips what it sends): a triple-quoted string that opens with a newline starts
    on the next line; a string on one source line starts there."""
    line = getattr(node, "lineno", 1)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        value = node.value
        leading = value[: len(value) - len(value.lstrip())].count("\n")
        return min(line + leading, getattr(node, "end_lineno", None) or line)
    return line
