"""The SQL a ``DO`` block runs, read from its PL/pgSQL body.

A migration often wraps DDL in ``DO $$ BEGIN IF NOT EXISTS (...) THEN ALTER TABLE ...;
END IF; END $$;`` to make it re-runnable. PostgreSQL runs those statements, with their
locks, rewrites and scans, inside the ``DO``'s transaction. pglast parses the body
(``parse_plpgsql_json``, the server's own PL/pgSQL parser); the statements it runs are its
static SQL (``PLpgSQL_stmt_execsql``) and the ``EXECUTE`` of a constant string. Every branch
counts, as if taken. Dynamic SQL built at run time (``EXECUTE format(...)``) is not read.
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


def inner_statements(node: Node) -> tuple[InnerStatement, ...]:
    """The statements the DO block *node* runs, in the order they are written (``()``
    when the body does not parse, or is not PL/pgSQL)."""
    fields = pgast.unwrap(node, "DoStmt")
    body = do_body(fields) if fields else None
    return _body_statements(body) if body else ()


def _body_statements(body: str) -> tuple[InnerStatement, ...]:
    from pglast import parser

    from .parsing import _loads, parse

    tag = "sqlsafe"
    while f"${tag}$" in body:
        tag += "_"
    wrapper = f"CREATE FUNCTION sqlsafe_do() RETURNS void LANGUAGE plpgsql AS ${tag}${body}${tag}$"
    try:
        tree = _loads(parser.parse_plpgsql_json(wrapper))
    except (parser.ParseError, ValueError, RecursionError):
        return ()
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
