"""Split a migration into statements with exact spans, parsing each one once.

pglast's JSON parse tree is used (not its Python AST objects): it is an order of
magnitude cheaper to build, pickles for free and is what the rules read through
:mod:`linter.sql.pgast`.  A syntax error in one statement never hides the others: the
file is re-split with the scanner and every piece is parsed on its own.
"""

from __future__ import annotations

import array
import bisect
import functools
import itertools
import json
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any, overload

from ..util.records import record


def _pglast_parser() -> ModuleType:
    """pglast's parser module, with ``pglast.ast`` and ``pglast.enums`` loaded lazily.

    Importing pglast executes its AST classes and enum modules (~20 ms, about a tenth of
    a one-file run), which sqlsafe never uses: it reads the JSON tree, and the scanner and
    splitter need neither. They are imported through :class:`importlib.util.LazyLoader`
    here, so that they are executed on first use (``pglast.parse_sql``, which ``plan``
    and the writers use, still works). The finder is on ``sys.meta_path`` only while
    pglast is first imported."""
    loaded = sys.modules.get("pglast.parser")
    if loaded is not None:
        return loaded
    sys.meta_path.insert(0, _LazyPglast)
    try:
        from pglast import parser
    finally:
        sys.meta_path.remove(_LazyPglast)
    return parser


class _LazyPglast:
    """A finder of ``pglast.ast`` and ``pglast.enums`` whose modules load on first use."""

    NAMES = frozenset({"pglast.ast", "pglast.enums"})

    @classmethod
    def find_spec(
        cls, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name not in cls.NAMES:
            return None
        import importlib.util
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


_pg = _pglast_parser()

Node = Mapping[str, Any]

_TRIVIA = re.compile(r"(?:\s+|--[^\n]*|/\*(?:[^*]|\*(?!/))*\*/)*")
_META_LINE = re.compile(r"^[ \t]*\\(\S*)[^\n]*$", re.MULTILINE)
_COPY_STDIN = re.compile(
    r"\bCOPY\b[^;]*\bFROM\s+stdin\b[^;]*;[ \t]*$", re.IGNORECASE | re.MULTILINE
)

# Long lists of constants make most of a large file's parse tree, which no rule reads:
# seed data (``INSERT ... VALUES (1, 'a'), (2, 'b'), ...``), ``WHERE id IN (1, 2, ...)``
# and ``CASE id WHEN 1 THEN 'a' WHEN 2 THEN 'b' ... END`` (their decoded trees take ~100
# times the text's size). Above THIN_FROM characters of a file, the items between the first
# and the last of such a list are blanked before parsing (offsets kept, like psql
# meta-commands). An item is thinned only if it is written in the few forms below, matched
# exactly as PostgreSQL's scanner reads them: standard strings, numbers, NULL / TRUE /
# FALSE, each with an optional ``::type``.
THIN_FROM = 100_000
_THIN_RUN = 10_000  # blank a run of items only if it is at least this long
_SCAN_LIMIT = 1_000_000  # how far the scanner goes to check that a keyword is a token
_WS = r"[ \t\n\r\f]*"
_SPACE = r"[ \t\n\r\f]+"  # (between words: ``1WHEN`` is not two tokens)
_CONST = (
    r"(?:'[^']*(?:''[^']*)*'|[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
    r"|(?i:null|true|false)\b)(?:" + _WS + r"::" + _WS + r"[A-Za-z_][A-Za-z_0-9]*\b)?"
)
_ROW = r"\(" + _WS + _CONST + r"(?:" + _WS + r"," + _WS + _CONST + r")*" + _WS + r"\)"
_BRANCH = _SPACE + _CONST + _SPACE + r"(?i:then)" + _SPACE + _CONST  # after WHEN


@record
class _List:
    """A list that thinning shortens: its first item (matched right after the keyword) and
    up to 1,000 more items, the start of the last one's separator as group 1 (a bounded
    repeat: see _last_item)."""

    first: re.Pattern[str]
    more: re.Pattern[str]

    @classmethod
    def of(cls, first: str, following: str) -> _List:
        return cls(re.compile(first), re.compile(f"(?:{following}){{0,999}}({following})"))


@functools.cache
def _lists() -> dict[str, _List]:
    """The lists thinning shortens, by keyword (compiled when a file is that large: their
    patterns take a few milliseconds to compile, a one-file run never needs them)."""
    return {
        "values": _List.of(_WS + _ROW, _WS + "," + _WS + _ROW),
        "in": _List.of(_WS + r"\(" + _WS + _CONST, _WS + "," + _WS + _CONST),
        "when": _List.of(_BRANCH, _SPACE + r"(?i:when)" + _BRANCH),
    }


_LIST_KEYWORD = re.compile(r"\b(values|in|when)\b", re.IGNORECASE)


class _Blanks(dict[int, int]):
    """``str.translate`` table: every character but a newline becomes a space."""

    def __missing__(self, key: int) -> int:
        return 32


# Until orjson is imported (see :func:`use_fast_decoder`), parse trees of up to this many
# characters of JSON are decoded with the standard library's json: importing orjson
# (which imports uuid, platform and datetime) costs more than it saves on a small file.
# Both decode such a tree alike: at ten characters or more a level, it is nested far less
# deeply than either decoder's limit.
SMALL_JSON = 4096


def _loads(text: str) -> Any:
    """The decoded JSON *text* (a parse tree)."""
    if len(text) < SMALL_JSON and "orjson" not in sys.modules:
        return json.loads(text)
    return _large_loads()(text)


def use_fast_decoder() -> None:
    """Decode every parse tree with orjson from now on (for a large input: it decodes
    about twice as fast as json once imported)."""
    _large_loads()


@functools.cache
def _large_loads() -> Callable[[str], Any]:
    try:  # orjson is optional; it halves decoding time on large inputs
        import orjson
    except ImportError:  # pragma: no cover - exercised where orjson is absent
        return json.loads
    return orjson.loads


_TOO_DEEP = (
    "statement is nested too deeply to analyse (its parse tree exceeds the decoder's depth limit)"
)


@record
class Statement:
    """One top-level statement (or an unparsable piece of the file)."""

    index: int
    lead: int  # where the statement's leading comments begin (after the previous ';')
    start: int  # first token, character offset
    end: int  # exclusive character offset of the last token (before any ';')
    node: Node | None
    error: str | None = None
    error_offset: int | None = None
    # where ``start`` is in the text pglast parsed, in bytes: the parse tree's ``location``
    # values count from there (``-1``: they do not point into this span of the file)
    start_byte: int = 0

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


@record
class MetaCommand:
    """A psql meta-command line (``\\connect``, ``\\set``...) or COPY data block."""

    start: int
    end: int
    command: str


@record
class ParsedFile:
    text: str
    statements: Sequence[Statement]  # (a tuple, or ``Statements`` for a large file)
    meta_commands: tuple[MetaCommand, ...]
    lines: LineIndex


class LineIndex:
    """Character offset <-> 1-based line and column."""

    __slots__ = ("_starts", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        starts = array.array("q", (0,))  # (8 bytes a line: a list of ints takes 36)
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


def _thin_lists(text: str) -> str:
    """*text* with the constant items between the first and the last of each long list
    (``VALUES`` rows, ``IN`` list, ``CASE`` branches) blanked (newlines kept, so every
    offset and line stays where it was; the last item stays so that the list still ends
    where it ended)."""
    runs: list[tuple[int, int]] = []
    scanned = 0  # the scanner's state is known (between tokens) here
    pos = 0
    while (keyword := _LIST_KEYWORD.search(text, pos)) is not None:
        pos = keyword.end()
        shape = _lists()[keyword.group(1).lower()]
        first = shape.first.match(text, pos)
        if first is None:
            continue
        start, end = first.end(), _last_item(text, first.end(), shape.more)
        # (a run starting at a later item of this one ends at the same place: skip them)
        keyword_end, pos = pos, max(pos, end)
        if end - start < _THIN_RUN or not _is_token(text, scanned, keyword.start(), keyword_end):
            continue
        runs.append((start, end))
        scanned = end
    if not runs:
        return text
    parts: list[str] = []
    done = 0
    blanks = _Blanks({10: 10})
    for start, end in runs:
        parts.append(text[done:start])
        parts.append(text[start:end].translate(blanks))
        done = end
    parts.append(text[done:])
    return "".join(parts)


def _last_item(text: str, pos: int, more: re.Pattern[str]) -> int:
    """Where the separator before the last of the items that follow *pos* starts (*pos*
    itself when no item follows)."""
    last = pos
    while (found := more.match(text, pos)) is not None:
        pos, last = found.end(), found.start(1)
    return last


def _is_token(text: str, scanned: int, start: int, end: int) -> bool:
    """Whether text[start:end] is a whole token (not inside a string or a comment): the
    scanner, run from *scanned* (a place between two tokens), ends with exactly it."""
    if start - scanned > _SCAN_LIMIT:
        return False
    try:
        tokens = _pg.scan(text[scanned:end])  # (character offsets, the end inclusive)
    except _pg.ParseError:
        return False
    return (
        bool(tokens) and tokens[-1].start == start - scanned and tokens[-1].end == end - scanned - 1
    )


def _byte_to_char(text: str) -> Callable[[int], int]:
    if text.isascii():
        return lambda b: b
    byte_starts = list(itertools.accumulate((len(c.encode("utf-8")) for c in text), initial=0))
    return lambda b: bisect.bisect_left(byte_starts, b)


def _trim_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _last_token_end(text: str, start: int, end: int) -> int:
    """*end* moved back over the comments that close ``text[start:end]`` (the last
    statement without a ``;`` runs to the end of the text, comments after it included)."""
    piece = text[start:end]
    if "--" not in piece and "/*" not in piece:
        return end
    try:
        tokens = _pg.scan(piece)  # (character offsets, the end inclusive)
    except _pg.ParseError:
        return end
    for token in reversed(tokens):
        if token.name not in ("SQL_COMMENT", "C_COMMENT"):
            return start + token.end + 1
    return end


def _last_end(text: str, lead: int, end: int) -> int:
    """The end of a file's last statement, which has no ``;`` after it."""
    end = _last_token_end(text, lead, _trim_end(text, lead, end))
    if end > lead and text[end - 1] == ";":
        end = _trim_end(text, lead, end - 1)
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
            end = _last_end(text, lead, end)
        start = skip_trivia(text, lead, end)
        skipped = text[lead:start]
        start_byte = loc + len(skipped.encode("utf-8", "surrogatepass"))
        out.append(
            Statement(first_index + i, lead, start, end, item["stmt"], start_byte=start_byte)
        )
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
    """(start, end, complete) pieces: the text between the scanner's ``;`` tokens (pglast's
    own scanner split drops pieces around a stray parenthesis or an unknown first word).
    An unterminated token (a quote, a comment) makes the rest of the text one piece."""
    try:
        return _token_pieces(_pg.scan(text))
    except _pg.ParseError as exc:
        where = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
    try:
        tokens = _pg.scan(text[:where])
    except _pg.ParseError:
        tokens = []
    # the piece the scanner stopped in starts after the last complete ';'
    ends = [t.end + 1 for t in tokens if t.name == "ASCII_59"]
    cut = ends[-1] if ends else 0
    head = [piece for piece in _token_pieces(tokens) if piece[1] <= cut]
    return [*head, (skip_trivia(text, cut), len(text), False)]


_COMMENTS = frozenset({"SQL_COMMENT", "C_COMMENT"})


def _token_pieces(tokens: Sequence[Any]) -> list[tuple[int, int, bool]]:
    """Split *tokens* at each ``;``, except inside a ``BEGIN ATOMIC ... END`` function body
    (where ``CASE ... END`` nests); parentheses are not counted, so a stray one cannot
    swallow the statements after it."""
    pieces: list[tuple[int, int, bool]] = []
    start: int | None = None
    atomic = 0  # BEGIN ATOMIC / CASE depth inside a function body
    previous = ""
    for token in tokens:
        name = token.name
        if name in _COMMENTS:
            continue
        if name == "ASCII_59" and not atomic:
            if start is not None:
                pieces.append((start, token.start, True))
                start = None
        elif start is None:
            start = token.start
        if name == "ATOMIC" and previous == "BEGIN_P":
            atomic = 1
        elif atomic and name == "CASE":
            atomic += 1
        elif atomic and name == "END_P":
            atomic -= 1
        previous = name
    if start is not None:
        pieces.append((start, tokens[-1].end + 1, True))
    return pieces


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


def parse(text: str, *, lazy: bool = False) -> ParsedFile:
    """Parse *text* into statements; never raises on bad SQL.

    *lazy*: above LAZY_FROM characters, the statements are a :class:`Statements`, which
    decodes each statement's tree when asked for it (what the linter's walk wants: peak
    memory a small multiple of the file instead of every tree at once)."""
    masked, metas = _mask_meta(text)
    if len(masked) > THIN_FROM:
        masked = _thin_lists(masked)
    if lazy and len(masked) > LAZY_FROM:
        spans = _lazy_spans(masked)
        if spans is not None:
            return ParsedFile(text, Statements(masked, spans), metas, LineIndex(text))
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
                stmt.start_byte,
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


# Above LAZY_FROM characters, ``parse(text, lazy=True)`` keeps three offsets a statement
# and decodes a statement's tree again each time it is asked for (the last _KEEP are kept):
# decoded, a tree takes ~70 bytes of Python objects per byte of SQL, so holding every tree
# of a 2 MB file until its end peaked above 250 MB.
LAZY_FROM = 100_000
_KEEP = 64
_CHECK_DEPTH_FROM = 8_000  # a JSON tree shorter than this cannot be too deep to decode


def _lazy_spans(text: str) -> array.array[int] | None:
    """``(lead, start, end)`` of every statement of *text*, flattened, exactly as
    :func:`parse` finds them; ``None`` when a statement cannot be read on its own (a syntax
    error, a tree too deep to decode: :func:`parse` reports those) or when there are at
    most _KEEP statements (a few long ones: a 20 MB ``IN`` list)."""
    try:
        slices = _pg.split(text, with_parser=True, only_slices=True)
    except _pg.ParseError:
        return None
    if len(slices) <= _KEEP:  # (all of them would stay decoded: laziness only costs)
        return None
    spans = array.array("q")
    previous_end = 0
    size = len(text)
    for piece in slices:
        after = skip_trivia(text, piece.stop)
        if after < size and text[after] == ";":
            end = after
        else:  # the last statement, without a ';': it runs to the end of the text
            end = _last_end(text, previous_end, size)
        start = skip_trivia(text, piece.start, end)
        try:
            tree = _pg.parse_sql_json(text[start:end])
            if len(tree) >= _CHECK_DEPTH_FROM:
                _loads(tree)
        except (_pg.ParseError, RecursionError, ValueError):
            return None
        spans.extend((previous_end, start, end))
        previous_end = end
    return spans


class Statements(Sequence[Statement]):
    """The statements of a large file (see LAZY_FROM): each one's tree is parsed and
    decoded when the statement is asked for, and only the last _KEEP asked for stay
    decoded. Slicing gives a view: no statement is decoded until it is read."""

    __slots__ = ("_decoded", "_indices", "_spans", "_text")

    def __init__(
        self,
        text: str,
        spans: array.array[int],
        indices: range | None = None,
        decoded: dict[int, Statement] | None = None,
    ) -> None:
        self._text = text
        self._spans = spans
        self._indices = range(len(spans) // 3) if indices is None else indices
        self._decoded: dict[int, Statement] = {} if decoded is None else decoded

    def __len__(self) -> int:
        return len(self._indices)

    @overload
    def __getitem__(self, index: int) -> Statement: ...

    @overload
    def __getitem__(self, index: slice) -> Statements: ...

    def __getitem__(self, index: int | slice) -> Statement | Statements:
        if isinstance(index, slice):
            return Statements(self._text, self._spans, self._indices[index], self._decoded)
        return self._at(self._indices[index])

    def __iter__(self) -> Iterator[Statement]:
        for i in self._indices:
            yield self._at(i)

    def _at(self, i: int) -> Statement:
        found = self._decoded.get(i)
        if found is not None:
            return found
        lead, start, end = self._spans[3 * i : 3 * i + 3]
        tree = _loads(_pg.parse_sql_json(self._text[start:end]))
        stmt = Statement(i, lead, start, end, tree["stmts"][0]["stmt"])
        decoded = self._decoded
        if decoded and len(decoded) >= _KEEP:
            del decoded[next(iter(decoded))]
        decoded[i] = stmt
        return stmt
