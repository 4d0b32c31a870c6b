"""Character offsets in a text <-> LSP positions (0-based line, code units of the
encoding the client and server agreed on)."""

from __future__ import annotations

import bisect

from lsprotocol import types

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"  # LSP's PositionEncodingKind values


def _units(ch: str, encoding: str) -> int:
    """How many code units of *encoding* the character *ch* takes."""
    code = ord(ch)
    if encoding == UTF32 or code < 0x80:
        return 1
    if encoding == UTF8:
        return 2 if code < 0x800 else 3 if code < 0x10000 else 4
    return 2 if code > 0xFFFF else 1


class PositionMap:
    """Offsets of one text as LSP positions and back: lines end at ``\\n`` (a ``\\r``
    before it belongs to the line), columns count code units of the *encoding* the
    client and server agreed on (UTF-16 unless the client offered another)."""

    __slots__ = ("_encoding", "_starts", "_text")

    def __init__(self, text: str, encoding: str = UTF16) -> None:
        self._text = text
        self._encoding = encoding
        starts = [0]
        at = text.find("\n")
        while at >= 0:
            starts.append(at + 1)
            at = text.find("\n", at + 1)
        self._starts = starts

    def position(self, offset: int) -> types.Position:
        offset = max(0, min(offset, len(self._text)))
        line = bisect.bisect_right(self._starts, offset) - 1
        start = self._starts[line]
        piece = self._text[start:offset]
        if piece.isascii() or self._encoding == UTF32:
            return types.Position(line, len(piece))
        return types.Position(line, sum(_units(ch, self._encoding) for ch in piece))

    def range(self, start: int, end: int) -> types.Range:
        return types.Range(self.position(start), self.position(max(start, end)))

    def offset(self, position: types.Position) -> int:
        """The character offset of *position* (clamped to its line and to the text)."""
        if position.line >= len(self._starts):
            return len(self._text)
        start = self._starts[position.line]
        end = (
            self._starts[position.line + 1] - 1
            if position.line + 1 < len(self._starts)
            else len(self._text)
        )
        units = 0
        at = start
        while at < end and units < position.character:
            units += _units(self._text[at], self._encoding)
            at += 1
        return at

    def offset_of(self, line: int, column: int) -> int:
        """The offset of a 1-based line and 1-based character column (a finding's)."""
        if line - 1 >= len(self._starts):
            return len(self._text)
        return min(self._starts[max(line, 1) - 1] + max(column, 1) - 1, len(self._text))

    def line_start(self, offset: int) -> int:
        return self._starts[bisect.bisect_right(self._starts, offset) - 1]
