"""Hover on a statement: what ``sqlsafe explain`` says about it, in Markdown."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from ..analysis.engine import SYNTAX_ERROR, StatementReport
from ..lockmodel.locks import LockMode
from ..output.explain import statement_dict
from ..sql.parsing import Statement, parse
from .analysis import Analysis
from .positions import UTF16, PositionMap


def statement_at(text: str, offset: int) -> tuple[Statement, int] | None:
    """The statement of *text* whose span (its first token to its ``;``) holds *offset*,
    and how many statements of the text start on its line before it."""
    found = parse(text).statements
    for stmt in found:
        end = stmt.end + 1 if text[stmt.end : stmt.end + 1] == ";" else stmt.end
        if stmt.start <= offset <= end:
            line_start = text.rfind("\n", 0, stmt.start) + 1
            before = sum(1 for s in found if line_start <= s.start < stmt.start)
            return stmt, before
    return None


def report_of(
    analysis: Analysis, stmt: Statement, before: int, where: PositionMap
) -> StatementReport | None:
    """The explain report of *stmt*, the statement *before* + 1 on its line."""
    line = where.position(stmt.start).line + 1
    same = [s for s in analysis.statements if s.line == line]
    return same[before] if before < len(same) else None


def _locks(locks: dict[str, str]) -> list[str]:
    return [
        f"`{rel}` **{LockMode(mode).sql_name}**: {LockMode(mode).blocks}"
        for rel, mode in locks.items()
    ]


def markdown(st: dict[str, Any]) -> str:
    """The Markdown of one statement's explain entry (:func:`statement_dict`)."""
    lines = ["**sqlsafe explain**", ""]
    if any(f["rule"] == SYNTAX_ERROR for f in st["findings"]):
        lines.append("Not analysed: sqlsafe cannot read this statement.")
        return "\n".join(lines)
    lines.append(f"- in a transaction: {'yes' if st['in_transaction'] else 'no'}")
    locks = _locks(st["locks"])
    if locks:
        lines.append("- locks:")
        lines.extend(f"  - {lock}" for lock in locks)
    else:
        lines.append("- locks: none on tables")
    earlier = {
        rel: mode for rel, mode in st["held_in_transaction"].items() if st["locks"].get(rel) != mode
    }
    if earlier:
        lines.append("- still held from earlier in the transaction:")
        lines.extend(f"  - {lock}" for lock in _locks(earlier))
    if st["rewrites"]:
        lines.append(f"- rewrites: {', '.join(f'`{r}`' for r in st['rewrites'])}")
    if st["scans"]:
        lines.append(f"- scans: {', '.join(f'`{r}`' for r in st['scans'])}")
    if not st["transactional"]:
        lines.append("- cannot run inside a transaction block")
    if st["objects"]:
        objects = ", ".join(f"`{rel}` ({kind})" for rel, kind in st["objects"].items())
        lines.append(f"- tables: {objects}")
    for f in st["findings"]:
        lines.append(f"- {f['severity']} `{f['rule']}`: {f['message']}")
    return "\n".join(lines)


def hover(
    analysis: Analysis, position: types.Position, encoding: str = UTF16
) -> types.Hover | None:
    where = PositionMap(analysis.text, encoding)
    found = statement_at(analysis.text, where.offset(position))
    if found is None:
        return None
    stmt, before = found
    report = report_of(analysis, stmt, before, where)
    if report is None:
        return None
    return types.Hover(
        contents=types.MarkupContent(
            kind=types.MarkupKind.Markdown, value=markdown(statement_dict(report))
        ),
        range=where.range(stmt.start, stmt.end),
    )
