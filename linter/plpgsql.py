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
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from . import pgast
from .pgast import Node


@dataclass(frozen=True, slots=True)
class InnerStatement:
    """One statement a DO block runs: its line in the body (1: the body's first line), its
    SQL as written there, and its parse tree."""

    line: int
    sql: str
    node: Node


def do_body(fields: Node) -> str | None:
    """The PL/pgSQL body of a ``DoStmt`` (``None`` for another language)."""
    body: str | None = None
    language = "plpgsql"
    for arg in fields.get("args") or ():
        elem = pgast.unwrap(arg, "DefElem")
        value = pgast.unwrap(elem.get("arg") or {}, "String").get("sval")
        if elem.get("defname") == "as":
            body = value
        elif elem.get("defname") == "language" and isinstance(value, str):
            language = value.lower()
    return body if language == "plpgsql" else None


@dataclass(frozen=True, slots=True)
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


def _parse_body(body: str) -> tuple[Any, str | None]:
    """The parse tree of *body* run as a PL/pgSQL function with no arguments that returns
    nothing (what a DO block is), or the parser's reason for rejecting it (neither when
    sqlsafe could not read the tree)."""
    from pglast import parser

    from .parsing import _loads

    tag = "sqlsafe"
    while f"${tag}$" in body:
        tag += "_"
    wrapper = f"CREATE FUNCTION sqlsafe_do() RETURNS void LANGUAGE plpgsql AS ${tag}${body}${tag}$"
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
    from .parsing import parse

    found: list[InnerStatement] = []
    for line, sql in sorted(_queries(tree), key=lambda item: item[0]):
        for stmt in parse(sql).statements:
            if stmt.node is not None:
                found.append(InnerStatement(line, sql[stmt.start : stmt.end], stmt.node))
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
