"""Where in a statement a finding points: the column definition, constraint, ALTER TABLE
command or dropped object a rule reports on (``Report.at``), not the statement's first token.

A node with a ``location`` (pglast gives one to column definitions, constraints, type
names...) points there: the byte offset, in the text pglast parsed, of its first token. A
node without one (``AlterTableCmd``, the objects of a ``DROP``) is found among its
statement's comma-separated parts and points at its part. Either way the span ends where
the item ends: at the next comma or closing parenthesis of its own level, else at the end
of the statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..sql import pgast
from ..sql.parsing import Statement

# the statement fields whose items are written as the statement's top-level comma list
_PARTS = {"AlterTableStmt": "cmds", "DropStmt": "objects"}
_OPEN = frozenset({"ASCII_40", "ASCII_91"})  # ( [
_CLOSE = frozenset({"ASCII_41", "ASCII_93"})  # ) ]
_COMMA = "ASCII_44"
_COMMENTS = frozenset({"SQL_COMMENT", "C_COMMENT"})


def tokens(text: str, stmt: Statement) -> Sequence[Any]:
    """The tokens of *stmt* in the file *text* (offsets in the file; comments left out)."""
    from pglast import parser

    try:
        found = parser.scan(text[stmt.start : stmt.end])
    except parser.ParseError:
        return ()
    return [
        (stmt.start + t.start, stmt.start + t.end + 1, t.name)
        for t in found
        if t.name not in _COMMENTS
    ]


def span(
    text: str, stmt: Statement, at: pgast.Node, scanned: Sequence[Any]
) -> tuple[int, int] | None:
    """The ``[start, end)`` file offsets of the item *at* of *stmt* (see the module), or
    ``None`` when it cannot be placed inside the statement. *scanned*: ``tokens(text,
    stmt)``."""
    if stmt.start_byte < 0 or stmt.node is None or not scanned:
        return None
    location = at.get("location")
    if location is None and len(at) == 1:  # a wrapped node: {"RangeVar": {...}}
        inner = next(iter(at.values()))
        location = inner.get("location") if isinstance(inner, dict) else None
    start: int | None
    if isinstance(location, int) and location >= 0:
        start = _char_offset(text, stmt, location)
    else:
        start = _part_start(text, stmt, at, scanned)
    if start is None or not stmt.start <= start < stmt.end:
        return None
    return start, _item_end(scanned, start, stmt.end)


def _char_offset(text: str, stmt: Statement, location: int) -> int:
    relative = location - stmt.start_byte
    piece = text[stmt.start : stmt.end]
    if piece.isascii():
        return stmt.start + relative
    raw = piece.encode("utf-8", "surrogatepass")[: max(relative, 0)]
    return stmt.start + len(raw.decode("utf-8", "ignore"))


def _part_start(text: str, stmt: Statement, at: pgast.Node, scanned: Sequence[Any]) -> int | None:
    """The first token of the top-level comma-separated part of *stmt* that *at* is."""
    assert stmt.node is not None
    fields = stmt.fields
    items = fields.get(_PARTS.get(stmt.kind, ""), ())
    index = next(
        (i for i, item in enumerate(items) if item is at or pgast.unwrap(item) is at), None
    )
    if index is None or len(items) < 2:
        return None
    if index == 0:  # (the part from the statement's start)
        return _first_command(text, stmt, scanned) if stmt.kind == "AlterTableStmt" else stmt.start
    depth = 0
    commas = 0
    for i, (_start, _end, name) in enumerate(scanned):
        if name in _OPEN:
            depth += 1
        elif name in _CLOSE:
            depth -= 1
        elif name == _COMMA and depth == 0:
            commas += 1
            if commas == index:
                return int(scanned[i + 1][0]) if i + 1 < len(scanned) else None
    return None


def _first_command(text: str, stmt: Statement, scanned: Sequence[Any]) -> int | None:
    """Where the first command of an ALTER TABLE starts: after the table's name."""
    location = (stmt.fields.get("relation") or {}).get("location")
    if not isinstance(location, int):
        return None
    name = _char_offset(text, stmt, location)
    at = next((i for i, token in enumerate(scanned) if token[0] >= name), len(scanned))
    at += 1
    while at + 1 < len(scanned) and scanned[at][2] == "ASCII_46":  # schema.table
        at += 2
    return int(scanned[at][0]) if at < len(scanned) else None


def _item_end(scanned: Sequence[Any], start: int, limit: int) -> int:
    """Where the item starting at *start* ends: before the next comma or closing
    parenthesis of its own level, else at *limit*."""
    depth = 0
    end = start
    for token_start, token_end, name in scanned:
        if token_start < start:
            continue
        if name in _OPEN:
            depth += 1
        elif name in _CLOSE:
            depth -= 1
            if depth < 0:
                return end
        elif name == _COMMA and depth == 0:
            return end
        end = token_end
    return max(end, min(start + 1, limit))
