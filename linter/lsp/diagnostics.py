"""Findings as LSP diagnostics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lsprotocol import types

from ..analysis.engine import Finding
from ..output.reporters.sarif import DOCS_URI
from ..rule import Rule, Severity
from .analysis import Analysis
from .positions import UTF16, PositionMap

SOURCE = "sqlsafe"
SEVERITIES: Mapping[Severity, types.DiagnosticSeverity] = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.NOTE: types.DiagnosticSeverity.Information,
}


def doc_links(rules: Sequence[Rule]) -> dict[str, str]:
    """Rule name -> its page in the project's docs (built-in rules: plugins have none there)."""
    return {
        rule.name: DOCS_URI.format(name=rule.name)
        for rule in rules
        if type(rule).__module__.startswith(("pglast_rules.", "linter."))
    }


def finding_range(finding: Finding, where: PositionMap) -> types.Range:
    """The finding's span: the part of the statement it is about (``Report.at``), else the
    statement."""
    start = where.offset_of(finding.line, finding.column)
    end = where.offset_of(finding.end_line, finding.end_column)
    return where.range(start, end)


def diagnostic(finding: Finding, where: PositionMap, links: Mapping[str, str]) -> types.Diagnostic:
    message = finding.message if not finding.help else f"{finding.message}\n{finding.help}"
    href = links.get(finding.rule)
    return types.Diagnostic(
        range=finding_range(finding, where),
        message=message,
        severity=SEVERITIES.get(finding.severity, types.DiagnosticSeverity.Warning),
        code=finding.rule,
        code_description=None if href is None else types.CodeDescription(href=href),
        source=SOURCE,
    )


def diagnostics(
    analysis: Analysis, links: Mapping[str, str], encoding: str = UTF16
) -> list[types.Diagnostic]:
    where = PositionMap(analysis.text, encoding)
    found = [diagnostic(f, where, links) for f in analysis.findings]
    if analysis.problem is not None:
        found.insert(
            0,
            types.Diagnostic(
                range=types.Range(types.Position(0, 0), types.Position(0, 0)),
                message=f"sqlsafe did not lint this file: {analysis.problem}",
                severity=types.DiagnosticSeverity.Error,
                source=SOURCE,
            ),
        )
    return found
