"""Code actions: the rewrite ``sqlsafe fix`` makes for a finding (see :mod:`.fixes`),
"suppress" (the ``-- sqlsafe: ignore RULE -- reason`` comment above the statement), and
the file-wide fix."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from functools import partial

from lsprotocol import types

from ..analysis.engine import Finding
from ..rule import Rule
from ..sql.parsing import parse
from ..util.records import record
from ..writers.fixer import FIXABLE
from .analysis import Analysis
from .diagnostics import finding_range
from .fixes import FixCache, fix_buffer, same_finding, workspace_edit
from .positions import UTF16, PositionMap

REASON = "reason: TODO"  # what the inserted suppression says after its rule, to be replaced


@record
class Capabilities:
    """What the client can apply: new files (``CreateFile``) in a workspace edit."""

    create_files: bool = False


def _eol(text: str) -> str:
    return "\r\n" if "\r\n" in text and text.count("\r\n") == text.count("\n") else "\n"


def _overlaps(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def findings_in(analysis: Analysis, wanted: types.Range, where: PositionMap) -> list[Finding]:
    return [f for f in analysis.findings if _overlaps(finding_range(f, where), wanted)]


# ------------------------------------------------------------------------------ suppress
def suppress_edit(analysis: Analysis, finding: Finding, where: PositionMap) -> types.TextEdit:
    """``-- sqlsafe: ignore RULE -- reason`` on its own line above the statement, indented
    as the statement's line (``-- sqlsafe: ignore-file RULE`` on top for a finding about
    the whole file); see :mod:`linter.directives` for where a directive counts."""
    text = analysis.text
    eol = _eol(text)
    offset = where.offset_of(finding.line, finding.column)
    if finding.statement is None:
        comment = f"-- sqlsafe: ignore-file {finding.rule} -- {REASON}{eol}"
        return types.TextEdit(where.range(0, 0), comment)
    stmt = next(
        (s for s in parse(text).statements if s.start <= offset <= max(s.end, s.start)), None
    )
    start = stmt.start if stmt is not None else offset
    line_start = where.line_start(start)
    before = text[line_start:start]
    line = text[line_start:]
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    comment = f"-- sqlsafe: ignore {finding.rule} -- {REASON}"
    if before.strip():  # another statement ends on its line: the comment takes its own line
        return types.TextEdit(where.range(start, start), f"{eol}{indent}{comment}{eol}{indent}")
    return types.TextEdit(where.range(line_start, line_start), f"{indent}{comment}{eol}")


FIX_ALL = types.CodeActionKind.SourceFixAll + ".sqlsafe"


def _wanted(kind: str, only: Sequence[str] | None) -> bool:
    """Whether the client asked for actions of *kind* (``context.only``: kinds or their
    parents, ``source`` for ``source.fixAll.sqlsafe``)."""
    return only is None or any(kind == k or kind.startswith(k + ".") for k in only)


def code_actions(
    analysis: Analysis,
    uri: str,
    version: int | None,
    wanted: types.Range,
    rules: Sequence[Rule],
    buffers: Mapping[str, str],
    capabilities: Capabilities,
    to_uri: Callable[[str], str],
    encoding: str = UTF16,
    only: Sequence[str] | None = None,
    cache: FixCache | None = None,
) -> list[types.CodeAction]:
    """The quick fixes for the findings in *wanted*, then "fix all" for the file (the
    kinds in *only*, when given)."""
    out: list[types.CodeAction] = []
    cache = cache if cache is not None else FixCache()
    where = PositionMap(analysis.text, encoding)
    found = (
        findings_in(analysis, wanted, where) if _wanted(types.CodeActionKind.QuickFix, only) else []
    )
    for finding in found:
        if finding.rule not in FIXABLE:
            continue
        key = (finding.rule, finding.line, finding.column)
        fix = cache.get(
            analysis, key, partial(fix_buffer, analysis, rules, buffers, same_finding(key))
        )
        if fix is not None and (capabilities.create_files or not fix.files):
            title = f"sqlsafe fix: {finding.rule}"
            if fix.files:
                names = ", ".join(os.path.basename(p) for p, _ in fix.files)
                title += f" (new migration {names})"
            out.append(
                types.CodeAction(
                    title=title,
                    kind=types.CodeActionKind.QuickFix,
                    is_preferred=True,
                    edit=workspace_edit(uri, version, analysis.text, fix, to_uri, where),
                )
            )
    for finding in found:
        edit = suppress_edit(analysis, finding, where)
        scope = "in this file" if finding.statement is None else "here"
        out.append(
            types.CodeAction(
                title=f"Suppress {finding.rule} {scope}",
                kind=types.CodeActionKind.QuickFix,
                edit=types.WorkspaceEdit(changes={uri: [edit]}),
            )
        )
    if _wanted(FIX_ALL, only) and any(f.rule in FIXABLE for f in analysis.findings):
        fix = cache.get(analysis, None, partial(fix_buffer, analysis, rules, buffers))
        if fix is not None and (capabilities.create_files or not fix.files):
            out.append(
                types.CodeAction(
                    title="sqlsafe fix: every finding it can rewrite in this file",
                    kind=FIX_ALL,
                    edit=workspace_edit(uri, version, analysis.text, fix, to_uri, where),
                )
            )
    return out
