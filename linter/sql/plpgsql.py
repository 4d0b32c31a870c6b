"""The SQL a ``DO`` block runs, read from its PL/pgSQL body.

A migration often wraps DDL in ``DO $$ BEGIN IF NOT EXISTS (...) THEN ALTER TABLE ...;
END IF; END $$;`` to make it re-runnable. PostgreSQL runs those statements, with their
locks, rewrites and scans, inside the ``DO``'s transaction. pglast parses the body
(``parse_plpgsql_json``, the server's own PL/pgSQL parser); the statements it runs are its
static SQL (``PLpgSQL_stmt_execsql``) and the ``EXECUTE`` of a constant string. Every branch
counts, as if taken. Dynamic SQL built at run time (``EXECUTE format(...)``) is not read.
A body the parser rejects is one PostgreSQL rejects too (it compiles the body when the block
runs): :func:`read_block` says why, and :func:`error_span` where.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from ..util.records import record
from . import pgast
from .pgast import Node


@record
class InnerStatement:
    """One statement a DO block runs: its line in the body (1: the body's first line), its
    SQL as written there, and its parse tree."""

    line: int
    sql: str
    node: Node
    # where *sql* starts in the text its parse tree's ``location`` values count from, in
    # bytes (``-1``: unknown)
    start_byte: int = -1


def do_body(fields: Node) -> str | None:
    """The PL/pgSQL body of a ``DoStmt`` (``None`` for another language)."""
    body, language = do_language(fields)
    return body if language == "plpgsql" else None


def do_language(fields: Node) -> tuple[str | None, str]:
    """The body of a ``DoStmt`` and its language (lower case, ``plpgsql`` by default)."""
    body: str | None = None
    language = "plpgsql"
    for arg in fields.get("args") or ():
        elem = pgast.unwrap(arg, "DefElem")
        value = pgast.unwrap(elem.get("arg") or {}, "String").get("sval")
        if elem.get("defname") == "as":
            body = value
        elif elem.get("defname") == "language" and isinstance(value, str):
            language = value.lower()
    return body, language


@record
class BodyError:
    """Why PostgreSQL's PL/pgSQL parser rejects a DO block's *body* (its *reason*)."""

    body: str
    reason: str


def inner_statements(node: Node) -> tuple[InnerStatement, ...]:
    """The statements the DO block *node* runs, in the order they are written (``()``
    when the body does not parse, or is not PL/pgSQL)."""
    return read_block(node)[0]


def read_block(node: Node) -> tuple[tuple[InnerStatement, ...], BodyError | None]:
    """The statements the DO block *node* runs, and why its PL/pgSQL body does not parse
    (``None`` when it does, or is in another language)."""
    fields = pgast.unwrap(node, "DoStmt")
    body = do_body(fields) if fields else None
    if body is None:
        return (), None
    tree, reason = _parse_body(body)
    if reason is not None:
        return (), BodyError(body, reason)
    return (_body_statements(tree) if tree is not None else ()), None


def _parse_body(body: str, returns: str = "void", params: str = "") -> tuple[Any, str | None]:
    """The parse tree of *body* run as a PL/pgSQL function with the parameter list *params*
    that returns *returns* (a DO block: none, returning nothing), or the parser's reason for
    rejecting it (neither when sqlsafe could not read the tree)."""
    from pglast import parser

    from .parsing import _loads

    tag = "sqlsafe"
    while f"${tag}$" in body:
        tag += "_"
    wrapper = (
        f"CREATE FUNCTION sqlsafe_do({params}) RETURNS {returns} LANGUAGE plpgsql "
        f"AS ${tag}${body}${tag}$"
    )
    try:
        return _loads(parser.parse_plpgsql_json(wrapper)), None
    except parser.ParseError as exc:
        return None, str(exc.args[0]) if exc.args else "it does not parse"
    except (ValueError, RecursionError):
        return None, None


_NEAR = re.compile(r'at or near "(.+)"\Z', re.DOTALL)


def _named_token(body: str, reason: str) -> tuple[int, int] | None:
    """The span in *body* of the token a ``syntax error at or near "..."`` names.

    The parser gives no position. When the token is written more than once, the one it
    stopped at is the last that it reaches: with a token that no grammar accepts put in
    its place, it fails there instead (``_reaches``)."""
    from pglast import parser

    near = _NEAR.search(reason)
    if near is None:
        return None
    try:
        tokens = parser.scan(body)
    except parser.ParseError:
        return None
    spans = [(t.start, t.end + 1) for t in tokens if body[t.start : t.end + 1] == near.group(1)]
    if len(spans) <= 1:
        return spans[0] if spans else None
    low, high = 0, len(spans) - 1  # spans[low] is reached; find the last one that is
    if not _reaches(body, reason, spans[low]):
        return None
    while low < high:
        middle = (low + high + 1) // 2
        if _reaches(body, reason, spans[middle]):
            low = middle
        else:
            high = middle - 1
    return spans[low]


def _reaches(body: str, reason: str, span: tuple[int, int]) -> bool:
    """Whether the parser gets to *span* of *body*: with ``{`` (or ``}``), which no
    grammar accepts, written there, it fails for another reason than *reason*."""
    start, end = span
    other = "}" if body[start:end] == "{" else "{"
    return _parse_body(body[:start] + other + body[end:])[1] not in (None, reason)


def _body_statements(tree: Any) -> tuple[InnerStatement, ...]:
    return _parsed(sorted(_queries(tree), key=lambda item: item[0]))


def _parsed(queries: Iterable[tuple[int, str]]) -> tuple[InnerStatement, ...]:
    """The statements of each ``(line, sql)``, with that line."""
    from .parsing import parse

    found: list[InnerStatement] = []
    for line, sql in queries:
        for stmt in parse(sql).statements:
            if stmt.node is not None:
                found.append(
                    InnerStatement(line, sql[stmt.start : stmt.end], stmt.node, stmt.start_byte)
                )
    return tuple(found)


def _queries(tree: Any) -> Iterator[tuple[int, str]]:
    """``(line, sql)`` of every static statement and constant ``EXECUTE`` in *tree*."""
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
            continue
        if not isinstance(item, dict):
            continue
        static = item.get("PLpgSQL_stmt_execsql")
        dynamic = item.get("PLpgSQL_stmt_dynexecute")
        if static is not None:
            query = pgast.unwrap(static.get("sqlstmt") or {}, "PLpgSQL_expr").get("query")
            if isinstance(query, str):
                yield int(static.get("lineno", 1)), query
        elif dynamic is not None:
            query = pgast.unwrap(dynamic.get("query") or {}, "PLpgSQL_expr").get("query")
            constant = _constant_string(query) if isinstance(query, str) else None
            if constant is not None:
                yield int(dynamic.get("lineno", 1)), constant
        else:
            stack.extend(reversed(list(item.values())))


_PLACEHOLDER = re.compile(r"%(?:(\d+)\$)?(-?\d*)([sIL%])")


def _format_template(expr: str, quoted: frozenset[str] = frozenset()) -> str | None:
    """The SQL ``format('<constant>', ...)`` builds, as far as it can be known: ``%I`` and
    ``%L`` (quoted, so they cannot change the statement) get a stand-in name or literal,
    ``%s`` the value of a constant argument; ``None`` for a ``%s`` of a value computed at
    run time (it could be any SQL) or another expression."""
    from pglast import parser

    from .parsing import _loads

    try:
        tree = _loads(parser.parse_sql_json(f"SELECT {expr}"))
    except (parser.ParseError, ValueError, RecursionError):
        return None
    stmts: list[Node] = tree.get("stmts") or []
    select = pgast.unwrap(stmts[0].get("stmt") or {}, "SelectStmt") if len(stmts) == 1 else {}
    targets: list[Node] = select.get("targetList") or []
    if len(targets) != 1 or "fromClause" in select:
        return None
    call = pgast.unwrap(pgast.unwrap(targets[0], "ResTarget").get("val") or {}, "FuncCall")
    args: list[Node] = call.get("args") or []
    template = pgast.const_value(args[0]) if call and args else None
    if pgast.func_name(call) != "format" or not isinstance(template, str):
        return None
    values = [_pasted(arg, quoted) for arg in args[1:]]
    out: list[str] = []
    position = 0
    at = 0
    for match in _PLACEHOLDER.finditer(template):
        out.append(template[at : match.start()])
        at = match.end()
        index, conversion = match.group(1), match.group(3)
        if conversion == "%":
            out.append("%")
            continue
        position = int(index) if index else position + 1
        if conversion == "I":
            out.append("sqlsafe_arg")
        elif conversion == "L":
            out.append("'sqlsafe_arg'")
        elif position <= len(values) and values[position - 1] is not None:
            out.append(str(values[position - 1]))
        else:
            return None
    out.append(template[at:])
    return "".join(out)


def _pasted(arg: Node, quoted: frozenset[str]) -> Any:
    """What ``%s`` pastes for *arg*: a constant's value, a stand-in name for a parameter in
    *quoted*, else ``None`` (unknown)."""
    names = pgast.strings(pgast.unwrap(arg, "ColumnRef").get("fields"))
    if len(names) == 1 and names[0] in quoted:
        return "sqlsafe_arg"
    return pgast.const_value(arg)


def _constant_string(expr: str) -> str | None:
    """The value of *expr* when it is a constant string in any spelling PostgreSQL reads
    (``'...'``, ``E'...'``, ``$q$...$q$``, in parentheses), else ``None``."""
    from pglast import parser

    from .parsing import _loads

    try:
        tree = _loads(parser.parse_sql_json(f"SELECT {expr}"))
    except (parser.ParseError, ValueError, RecursionError):
        return None
    stmts: list[Node] = tree.get("stmts") or []
    if len(stmts) != 1:
        return None
    select = pgast.unwrap(stmts[0].get("stmt") or {}, "SelectStmt")
    targets: list[Node] = select.get("targetList") or []
    if len(targets) != 1 or "fromClause" in select:
        return None
    value = pgast.unwrap(targets[0], "ResTarget").get("val") or {}
    sval = pgast.unwrap(value, "A_Const").get("sval")
    text = sval.get("sval") if isinstance(sval, dict) else None
    return text if isinstance(text, str) else None


def locate(text: str, start: int, end: int, inner: InnerStatement) -> tuple[int, int]:
    """Where *inner* is in the file *text*, whose DO statement spans ``[start, end)``:
    its own span when the body is written as a dollar-quoted string, else the DO's."""
    fields_body = _body_span(text, start, end)
    if fields_body is None:
        return start, end
    body_start, body_end = fields_body
    offset = body_start
    for _ in range(inner.line - 1):
        newline = text.find("\n", offset, body_end)
        if newline < 0:
            break
        offset = newline + 1
    for written in (inner.sql, inner.sql.replace("'", "''")):  # (in a quoted EXECUTE)
        found = text.find(written, offset, body_end)
        if found >= 0:
            return found, found + len(written)
    return offset, offset


def error_span(text: str, start: int, end: int, error: BodyError) -> tuple[int, int]:
    """Where *error* is in the file *text*, whose DO statement spans ``[start, end)``: the
    token it names when the body is written as it is read (a dollar-quoted string), else
    the DO statement."""
    span = _body_span(text, start, end)
    if span is None or text[span[0] : span[1]] != error.body:
        return start, end
    token = _named_token(error.body, error.reason)
    if token is None:
        return start, end
    return span[0] + token[0], span[0] + token[1]


_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")


def _body_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span of a DO statement's dollar-quoted body."""
    opener = _DOLLAR.search(text, start, end)
    if opener is None:
        return None
    closer = text.find(opener.group(0), opener.end(), end)
    if closer < 0:
        return None
    return opener.end(), closer


@record
class BodyReading:
    """All a PL/pgSQL body runs, as far as it can be read: its statements (as
    :func:`inner_statements`), the parse tree of every expression (conditions, assignments,
    ``PERFORM``, ``RAISE`` arguments...), and the lines of what cannot be read (SQL built at
    run time, an expression that does not parse)."""

    statements: tuple[InnerStatement, ...]  # with those of EXECUTE format('...', ...)
    expressions: tuple[Node, ...]
    unreadable: tuple[int, ...]


_RETURNS = ("void", "record", "SETOF record", "trigger", "event_trigger", "text", "SETOF text")


def read_body(
    body: str, params: str = "", quoted: frozenset[str] = frozenset()
) -> BodyReading | None:
    """Read a DO block's or a function's PL/pgSQL *body* (with the parameter list *params*,
    SQL as written in ``CREATE FUNCTION``); ``None`` when it does not parse whatever the
    function returns. *quoted*: parameters whose text cannot change a statement it is
    pasted in (a ``regclass`` prints as a quoted name, a number as digits)."""
    from .parsing import parse

    tree = None
    for returns in _RETURNS:
        tree = _parse_body(body, returns, params)[0]
        if tree is not None:
            break
    if tree is None:
        return None
    quoted = quoted - _redeclared(tree)
    expressions: list[Node] = []
    unreadable: list[int] = []
    dynamic: list[InnerStatement] = []
    for line, kind, expr in _expressions(tree):
        if kind == "dynamic":
            sql = _constant_string(expr) or _format_template(expr, quoted)
            nodes = [st.node for st in parse(sql).statements] if sql is not None else [None]
            if not nodes or any(node is None for node in nodes):
                unreadable.append(line)
            else:
                dynamic.extend(InnerStatement(line, str(sql), n) for n in nodes if n is not None)
            continue
        node = _expression_tree(expr, kind)
        if node is None:
            unreadable.append(line)
        else:
            expressions.append(node)
    static = _body_statements(tree)  # (a constant EXECUTE is among them already)
    dynamic = [d for d in dynamic if not any(d.line == s.line and d.node == s.node for s in static)]
    statements = static + tuple(dynamic)
    return BodyReading(statements, tuple(expressions), tuple(unreadable))


def _redeclared(tree: Any) -> set[str]:
    """Names declared more than once (a parameter a block's variable hides)."""
    seen: set[str] = set()
    twice: set[str] = set()
    for function in tree if isinstance(tree, list) else [tree]:
        datums = pgast.unwrap(function, "PLpgSQL_function").get("datums") or []
        for datum in datums:
            name = pgast.unwrap(datum).get("refname")
            if isinstance(name, str):
                (twice if name in seen else seen).add(name)
    return twice


_ASSIGNED = re.compile(r"^[^:=]*:?=", re.S)


def _expression_tree(expr: str, mode: str) -> Node | None:
    from .parsing import parse

    if mode in ("assign1", "assign2", "assign3"):
        expr = _ASSIGNED.sub("", expr, count=1)
    text = expr if mode == "statement" else f"SELECT {expr}"
    statements = parse(text).statements
    if not statements or any(s.node is None for s in statements):
        return None
    return {"List": {"items": [s.node for s in statements]}}


_PARSE_MODES = {0: "statement", 2: "expression", 3: "assign1", 4: "assign2", 5: "assign3"}
_DYNAMIC = frozenset({"PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors"})


def _expressions(tree: Any) -> Iterator[tuple[int, str, str]]:
    """``(line, mode, text)`` of every expression in *tree*; mode ``dynamic`` for the SQL an
    ``EXECUTE`` (``FOR ... IN EXECUTE``, ``OPEN ... FOR EXECUTE``) runs."""
    stack: list[tuple[Any, int]] = [(tree, 1)]
    while stack:
        item, line = stack.pop()
        if isinstance(item, list):
            stack.extend((sub, line) for sub in reversed(item))
            continue
        if not isinstance(item, dict):
            continue
        if len(item) == 1:
            (name, fields) = next(iter(item.items()))
            if isinstance(fields, dict):
                line = int(fields.get("lineno", line) or line)
                if name == "PLpgSQL_expr":
                    query = fields.get("query")
                    mode = _PARSE_MODES.get(int(fields.get("parseMode", 0)), "expression")
                    if isinstance(query, str):
                        yield line, mode, query
                    continue
                dynamic = fields.get("dynquery")
                if dynamic is None and name in _DYNAMIC:
                    dynamic = fields.get("query")
                if dynamic is not None:
                    query = pgast.unwrap(dynamic, "PLpgSQL_expr").get("query")
                    if isinstance(query, str):
                        yield line, "dynamic", query
                    rest = {k: v for k, v in fields.items() if k not in ("dynquery", "query")}
                    stack.append((rest, line))
                    continue
                stack.append((fields, line))
                continue
        stack.extend((v, line) for v in item.values() if isinstance(v, (dict, list)))


# ------------------------------------------------------------------ loops and COMMIT
_LOOPS = frozenset(
    {
        "PLpgSQL_stmt_loop",
        "PLpgSQL_stmt_while",
        "PLpgSQL_stmt_fori",
        "PLpgSQL_stmt_fors",
        "PLpgSQL_stmt_forc",
        "PLpgSQL_stmt_foreach_a",
        "PLpgSQL_stmt_dynfors",
    }
)
_TX_ENDS = {"PLpgSQL_stmt_commit": "COMMIT", "PLpgSQL_stmt_rollback": "ROLLBACK"}


@record
class TransactionEnd:
    """A ``COMMIT`` or ``ROLLBACK`` in a PL/pgSQL body: its line in the body, and whether
    a loop runs it."""

    line: int
    word: str
    in_loop: bool


@record
class BodyLoop:
    """An outermost loop of a PL/pgSQL body: its line, and the static SQL it runs (its own
    query for ``FOR ... IN SELECT``, and that of the loops inside it)."""

    line: int
    statements: tuple[InnerStatement, ...]


@record
class ControlFlow:
    """The transaction ends and the loops of a DO block's body, in body order."""

    ends: tuple[TransactionEnd, ...] = ()
    loops: tuple[BodyLoop, ...] = ()


def control_flow(node: Node) -> ControlFlow:
    """The ``COMMIT`` / ``ROLLBACK`` statements and the loops of the DO block *node* (empty
    when the body does not parse or is not PL/pgSQL)."""
    fields = pgast.unwrap(node, "DoStmt")
    body = do_body(fields) if fields else None
    tree = _parse_body(body)[0] if body is not None else None
    if tree is None:
        return ControlFlow()
    ends: list[TransactionEnd] = []
    loops: list[BodyLoop] = []
    stack: list[tuple[Any, bool]] = [(tree, False)]
    while stack:
        item, in_loop = stack.pop()
        if isinstance(item, list):
            stack.extend((sub, in_loop) for sub in reversed(item))
            continue
        if not isinstance(item, dict):
            continue
        if len(item) == 1:
            name, inner = next(iter(item.items()))
            if isinstance(inner, dict) and name in _TX_ENDS:
                ends.append(TransactionEnd(int(inner.get("lineno", 1)), _TX_ENDS[name], in_loop))
                continue
            if isinstance(inner, dict) and name in _LOOPS:
                if not in_loop:
                    loops.append(BodyLoop(int(inner.get("lineno", 1)), _loop_statements(inner)))
                stack.append((inner, True))
                continue
        stack.extend((v, in_loop) for v in reversed(item.values()) if isinstance(v, (dict, list)))
    return ControlFlow(
        tuple(sorted(ends, key=lambda e: e.line)), tuple(sorted(loops, key=lambda lp: lp.line))
    )


def _loop_statements(loop: Any) -> tuple[InnerStatement, ...]:
    return _parsed((line, sql) for line, mode, sql in _expressions(loop) if mode == "statement")


def file_line(text: str, start: int, end: int, line: int) -> int | None:
    """The line of the file *text* where the body line *line* of the DO statement spanning
    ``[start, end)`` is (``None`` when its body is not a dollar-quoted string)."""
    span = _body_span(text, start, end)
    if span is None:
        return None
    return text.count("\n", 0, span[0]) + line
