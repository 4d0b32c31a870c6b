"""Split a migration into statements with exact spans, parsing each one once.

pglast's JSON parse tree is used (not its Python AST objects): it is an order of
magnitude cheaper to build, pickles for free and is what the rules read through
:mod:`linter.pgast`.  A syntax error in one statement never hides the others: the
file is re-split with the scanner and every piece is parsed on its own.
"""

from __future__ import annotations

import bisect
import itertools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pglast import parser as _pg

Node = Mapping[str, Any]

_TRIVIA = re.compile(r"(?:\s+|--[^\n]*|/\*(?:[^*]|\*(?!/))*\*/)*")
_META_LINE = re.compile(r"^[ \t]*\\(\S*)[^\n]*$", re.MULTILINE)
_COPY_STDIN = re.compile(
    r"\bCOPY\b[^;]*\bFROM\s+stdin\b[^;]*;[ \t]*$", re.IGNORECASE | re.MULTILINE
)

try:  # orjson is optional; it halves decoding time on large inputs
    import orjson

    _loads: Callable[[str], Any] = orjson.loads
except ImportError:  # pragma: no cover - exercised where orjson is absent
    _loads = json.loads


_TOO_DEEP = (
    "statement is nested too deeply to analyse (its parse tree exceeds the decoder's depth limit)"
)


@dataclass(frozen=True, slots=True)
class Statement:
    """One top-level statement (or an unparsable piece of the file)."""

    index: int
    lead: int  # where the statement's leading comments begin (after the previous ';')
    start: int  # first token, character offset
    end: int  # exclusive character offset of the last token (before any ';')
    node: Node | None
    error: str | None = None
    error_offset: int | None = None

    @property
    def kind(self) -> str:
        if self.node is None:
            return ""
        return next(iter(self.node))

    @property
    def fields(self) -> Node:
        if self.node is None:
            return {}
        value: Node = self.node[self.kind]
        return value


@dataclass(frozen=True, slots=True)
class MetaCommand:
    """A psql meta-command line (``\\connect``, ``\\set``...) or COPY data block."""

    start: int
    end: int
    command: str


@dataclass(frozen=True, slots=True)
class ParsedFile:
    text: str
    statements: tuple[Statement, ...]
    meta_commands: tuple[MetaCommand, ...]
    lines: LineIndex


class LineIndex:
    """Character offset <-> 1-based line and column."""

    __slots__ = ("_starts", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        starts = [0]
        find = text.find
        pos = find("\n")
        while pos >= 0:
            starts.append(pos + 1)
            pos = find("\n", pos + 1)
        self._starts = starts

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset) - 1
        return line + 1, offset - self._starts[line] + 1

    def line_text(self, line: int) -> str:
        start = self._starts[line - 1]
        end = self._starts[line] - 1 if line < len(self._starts) else len(self._text)
        return self._text[start:end]


def skip_trivia(text: str, offset: int, limit: int | None = None) -> int:
    """Offset of the first token at or after *offset* (whitespace and comments skipped)."""
    match = _TRIVIA.match(text, offset, len(text) if limit is None else limit)
    return match.end() if match else offset


def _mask_meta(text: str) -> tuple[str, tuple[MetaCommand, ...]]:
    """Blank out psql meta-commands and COPY ... FROM stdin data, keeping offsets."""
    if "\\" not in text:
        return text, ()
    metas: list[MetaCommand] = []
    for match in _META_LINE.finditer(text):
        metas.append(MetaCommand(match.start(), match.end(), "\\" + match.group(1)))
    copy_blocks: list[MetaCommand] = []
    for match in _COPY_STDIN.finditer(text):
        data_start = match.end() + 1
        terminator = re.compile(r"^\\\.[ \t]*$", re.MULTILINE).search(text, data_start)
        data_end = terminator.end() if terminator else len(text)
        copy_blocks.append(MetaCommand(data_start, data_end, "COPY data"))
    if copy_blocks:
        metas = [m for m in metas if not any(b.start <= m.start < b.end for b in copy_blocks)]
        metas.extend(copy_blocks)
        metas.sort(key=lambda m: m.start)
    if not metas:
        return text, ()
    chars = list(text)
    for meta in metas:
        for i in range(meta.start, meta.end):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars), tuple(m for m in metas if m.command != "COPY data")


def _byte_to_char(text: str) -> Callable[[int], int]:
    if text.isascii():
        return lambda b: b
    byte_starts = list(itertools.accumulate((len(c.encode("utf-8")) for c in text), initial=0))
    return lambda b: bisect.bisect_left(byte_starts, b)


def _trim_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _from_tree(
    text: str,
    tree: Mapping[str, Any],
    base: int,
    limit: int,
    first_index: int,
    to_char: Callable[[int], int],
) -> list[Statement]:
    out: list[Statement] = []
    raw = tree.get("stmts", ())
    for i, item in enumerate(raw):
        loc = item.get("stmt_location", 0)
        length = item.get("stmt_len", 0)
        lead = base + to_char(loc)
        end = base + to_char(loc + length) if length else limit
        if not length:  # the last statement runs to the end of the text
            end = _trim_end(text, lead, end)
            if end > lead and text[end - 1] == ";":
                end = _trim_end(text, lead, end - 1)
        start = skip_trivia(text, lead, end)
        out.append(Statement(first_index + i, lead, start, end, item["stmt"]))
    return out


def _describe_error(message: str, piece: str) -> str:
    hint = ""
    if "{{" in piece or "{%" in piece:
        hint = (
            " (the file contains a template placeholder such as `{{ ... }}`: lint the rendered SQL)"
        )
    elif "memory exhausted" in message or "stack depth limit" in message:
        hint = " (the statement is nested too deeply for the PostgreSQL parser)"
    return (
        f"syntax error: {message}{hint}"
        if not message.startswith("syntax error")
        else (message + hint)
    )


def _scanner_slices(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, complete) pieces; an unterminated token makes the rest one piece."""
    try:
        return [
            (s.start, s.stop, True) for s in _pg.split(text, with_parser=False, only_slices=True)
        ]
    except _pg.ParseError as exc:
        where = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
    try:
        head = [
            (s.start, s.stop, True)
            for s in _pg.split(text[:where], with_parser=False, only_slices=True)
        ]
    except _pg.ParseError:
        head = []
    # the piece the scanner stopped in starts after the last complete ';'
    cut = text.rfind(";", 0, where) + 1
    head = [piece for piece in head if piece[1] <= cut]
    tail_start = skip_trivia(text, cut)
    return [*head, (tail_start, len(text), False)]


def _piecewise(text: str) -> list[Statement]:
    out: list[Statement] = []
    for start, stop, _complete in _scanner_slices(text):
        piece = text[start:stop]
        try:
            tree = _loads(_pg.parse_sql_json(piece))
        except (_pg.ParseError, RecursionError, ValueError) as exc:
            where = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
            if not isinstance(exc, _pg.ParseError):  # the parse tree is too deep to decode
                exc = _pg.ParseError(_TOO_DEEP, 0)
            first = skip_trivia(text, start, stop)
            end = _trim_end(text, first, stop)
            if end > first and text[end - 1] == ";":
                end -= 1
            out.append(
                Statement(
                    len(out),
                    start,
                    first,
                    max(end, first),
                    None,
                    _describe_error(str(exc.args[0]), piece),
                    start + where,
                )
            )
            continue
        out.extend(_from_tree(text, tree, start, stop, len(out), _byte_to_char(piece)))
    return out


def parse(text: str) -> ParsedFile:
    """Parse *text* into statements; never raises on bad SQL."""
    masked, metas = _mask_meta(text)
    try:
        tree = _loads(_pg.parse_sql_json(masked))
    except (_pg.ParseError, RecursionError, ValueError):
        statements = _piecewise(masked)
    else:
        statements = _from_tree(masked, tree, 0, len(masked), 0, _byte_to_char(masked))
    # a statement's leading comments are everything after the previous statement
    previous_end = 0
    for i, stmt in enumerate(statements):
        if stmt.lead != previous_end:  # (the constructor: ``replace`` costs 3x more)
            statements[i] = Statement(
                stmt.index,
                min(previous_end, stmt.start),
                stmt.start,
                stmt.end,
                stmt.node,
                stmt.error,
                stmt.error_offset,
            )
        previous_end = stmt.end
    return ParsedFile(text, tuple(statements), metas, LineIndex(text))


def statement_count(text: str) -> int:
    """``len(parse(text).statements)``, without building the parse trees when it can."""
    masked, _ = _mask_meta(text)
    try:
        return len(_pg.split(masked, with_parser=True, only_slices=True))
    except _pg.ParseError:
        return len(parse(text).statements)
