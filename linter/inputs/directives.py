"""Suppression comments: ``-- sqlsafe: ignore RULE[, RULE...]`` and ``ignore-file``."""

from __future__ import annotations

import re

from ..sql.parsing import ParsedFile, Statement
from ..util.records import record

_DIRECTIVE = re.compile(
    r"--[ \t]*sqlsafe:[ \t]*(?P<verb>ignore-file|ignore)\b(?P<names>[^\n]*)", re.IGNORECASE
)
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def statement_directive(text: str, start: int, end: int) -> int | None:
    """Where the first ``-- sqlsafe: ignore`` comment (one statement's, not
    ``ignore-file``) in ``text[start:end]`` begins."""
    for match in _DIRECTIVE.finditer(text, start, end):
        if match.group("verb").lower() == "ignore":
            return match.start()
    return None


@record
class Directive:
    offset: int  # where the comment starts
    whole_file: bool
    names: tuple[str, ...]  # empty: every rule


def _names(text: str) -> tuple[str, ...]:
    text = text.split("--", 1)[0]  # a second comment after the names is a reason
    return tuple(_NAME.findall(text.replace(",", " ")))


@record
class Suppressions:
    file_all: bool
    file_names: frozenset[str]
    per_statement: tuple[frozenset[str] | None, ...]  # None: no directive; empty set: all
    directives: tuple[Directive, ...]

    def suppressed(self, statement: int | None, names: frozenset[str]) -> bool:
        if self.file_all or names & self.file_names:
            return True
        if statement is None or statement >= len(self.per_statement):
            return False
        local = self.per_statement[statement]
        return local is not None and (not local or bool(names & local))


def _leading_region(text: str, stmt: Statement) -> tuple[int, int]:
    """Comment lines before *stmt*: its leading trivia, minus a previous statement's line."""
    start = stmt.lead
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:start].strip():
        newline = text.find("\n", start, stmt.start)
        start = stmt.start if newline < 0 else newline + 1
    return start, stmt.start


def _trailing_region(text: str, stmt: Statement) -> tuple[int, int]:
    """A comment on the statement's last line, after its ``;``."""
    end = text.find("\n", stmt.end)
    return stmt.end, len(text) if end < 0 else end


def parse_directives(parsed: ParsedFile) -> Suppressions:
    text = parsed.text
    if "sqlsafe:" not in text:
        return Suppressions(False, frozenset(), (), ())
    directives: list[Directive] = []
    file_all = False
    file_names: set[str] = set()
    for match in _DIRECTIVE.finditer(text):
        whole = match.group("verb").lower() == "ignore-file"
        names = _names(match.group("names"))
        directives.append(Directive(match.start(), whole, names))
        if whole:
            if names:
                file_names.update(names)
            else:
                file_all = True
    per_statement: list[frozenset[str] | None] = []
    statement_directives = [d for d in directives if not d.whole_file]
    for stmt in parsed.statements:
        found: set[str] | None = None
        regions = (_leading_region(text, stmt), _trailing_region(text, stmt))
        for d in statement_directives:
            if any(lo <= d.offset < hi for lo, hi in regions):
                found = set() if found is None else found
                if not d.names:
                    found = set()
                    break
                found.update(d.names)
        per_statement.append(None if found is None else frozenset(found))
    return Suppressions(file_all, frozenset(file_names), tuple(per_statement), tuple(directives))
