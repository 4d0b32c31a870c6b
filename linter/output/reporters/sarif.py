"""SARIF 2.1.0 (GitHub code scanning and other SARIF viewers)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, TextIO

from ... import __version__
from ...analysis.engine import LintResult
from ...rule import Rule
from ._common import fingerprints, posix_path

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/sqlsafe/sqlsafe"
DOCS_URI = "https://github.com/sqlsafe/sqlsafe/blob/main/docs/rules/{name}.md"


def _uri(path: str) -> str:
    if os.path.isabs(path):
        return Path(path).as_uri()
    return posix_path(path)


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    properties: dict[str, Any] = {"tags": [rule.group], "aliases": list(rule.aliases)}
    if rule.lock is not None:
        properties["lock"] = rule.lock.value
    if rule.rewrites:
        properties["rewrites"] = True
    if rule.scans:
        properties["scans"] = True
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.why},
        "help": {
            "text": f"{rule.why}\n\nSafe alternative: {rule.safe_alternative}",
            "markdown": f"{rule.why}\n\n**Safe alternative:** {rule.safe_alternative}",
        },
        "helpUri": DOCS_URI.format(name=rule.name),
        "defaultConfiguration": {"level": rule.severity.value},
        "properties": properties,
    }


def sarif_document(result: LintResult, rules: tuple[Rule, ...]) -> dict[str, Any]:
    index = {r.name: i for i, r in enumerate(rules)}
    results: list[dict[str, Any]] = []
    for f, fingerprint in fingerprints(result.findings):
        text = f.message if not f.help else f"{f.message}. Safe alternative: {f.help}"
        item: dict[str, Any] = {
            "ruleId": f.code,
            "level": f.severity.value,
            "message": {"text": text},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.path)},
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                            "endLine": max(f.end_line, f.line),
                            "endColumn": f.end_column
                            if f.end_line > f.line
                            else max(f.end_column, f.column),
                        },
                    }
                }
            ],
            "partialFingerprints": {"sqlsafe/v1": fingerprint},
        }
        if f.rule in index:
            item["ruleIndex"] = index[f.rule]
        results.append(item)
    notifications = [
        {
            "level": "error",
            "message": {"text": f"{e.path}: {e.reason}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(e.path)}}}],
        }
        for e in result.errors
    ]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "sqlsafe",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFO_URI,
                        "rules": [rule_descriptor(r) for r in rules],
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": not result.errors,
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": results,
            }
        ],
    }


class SarifReporter:
    def report(self, result: LintResult, rules: tuple[Rule, ...], out: TextIO) -> None:
        out.write(json.dumps(sarif_document(result, rules), indent=2) + "\n")
