"""Machine-readable output: one JSON object with findings, errors and a summary."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, TextIO

from ...analysis.engine import LintResult
from ...rule import Rule


def result_document(result: LintResult) -> dict[str, Any]:
    by_severity = Counter(f.severity.value for f in result.findings)
    by_rule = Counter(f.rule for f in result.findings)
    document: dict[str, Any] = {
        "findings": [f.as_dict() for f in result.findings],
        "errors": [{"path": e.path, "message": e.reason} for e in result.errors],
        "summary": {
            "files": result.files,
            "findings": len(result.findings),
            "errors": len(result.errors),
            "by_severity": dict(sorted(by_severity.items())),
            "by_rule": dict(sorted(by_rule.items())),
        },
    }
    if result.notes:  # (Python migrations read statically, and why)
        document["summary"]["notes"] = list(result.notes)
    return document


class JsonReporter:
    def report(self, result: LintResult, rules: tuple[Rule, ...], out: TextIO) -> None:
        json.dump(result_document(result), out, indent=2)
        out.write("\n")
