"""Statements of PostgreSQL releases newer than the grammar pglast ships.

sqlsafe parses with pglast, whose grammar is PostgreSQL 18's. A statement that only
PostgreSQL 19 knows fails to parse; :func:`newer_statement` recognises it by its first
keywords so that the syntax error can say why, instead of a bare "syntax error at or
near ...".
"""

from __future__ import annotations

import re

from ..util.records import record

GRAMMAR_VERSION = 18  # the PostgreSQL grammar pglast parses with


@record
class NewerStatement:
    command: str  # as the PostgreSQL documentation names it
    version: int  # the first PostgreSQL major that has it


_NEWER: tuple[tuple[re.Pattern[str], NewerStatement], ...] = (
    (re.compile(r"REPACK\b", re.IGNORECASE), NewerStatement("REPACK", 19)),
    (re.compile(r"WAIT\s+FOR\s+LSN\b", re.IGNORECASE), NewerStatement("WAIT FOR LSN", 19)),
)


def newer_statement(sql: str) -> NewerStatement | None:
    """The newer-release command *sql* (a statement, from its first token) starts with."""
    for pattern, found in _NEWER:
        if pattern.match(sql):
            return found
    return None


def explain(found: NewerStatement, target: int) -> str:
    """Why a statement of a newer release did not parse, for a *target* version."""
    grammar = f"the PostgreSQL {GRAMMAR_VERSION} grammar"
    if target < found.version:
        return (
            f"`{found.command}` is PostgreSQL {found.version} syntax: PostgreSQL {target} (the "
            f"target version) rejects it, and sqlsafe's parser ({grammar}) does not know it"
        )
    return (
        f"`{found.command}` is PostgreSQL {found.version} syntax that sqlsafe's parser "
        f"({grammar}) does not know: this statement was not checked and the schema model "
        "ignores it"
    )
