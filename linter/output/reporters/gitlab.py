"""GitLab Code Quality report (a JSON array); GitLab shows it in the merge request."""

from __future__ import annotations

import json
from typing import Any, TextIO

from ...analysis.engine import LintResult
from ...rule import Rule
from ._common import fingerprints, posix_path, rules_by_name

# GitLab severities: info, minor, major, critical, blocker
_SEVERITY = {"error": "critical", "warning": "major", "note": "info"}


class GitlabReporter:
    def report(self, result: LintResult, rules: tuple[Rule, ...], out: TextIO) -> None:
        known = rules_by_name(rules)
        issues: list[dict[str, Any]] = []
        for error in result.errors:
            issues.append(
                {
                    "type": "issue",
                    "description": f"sqlsafe could not read the file: {error.reason}",
                    "check_name": "unreadable-file",
                    "fingerprint": f"unreadable-file:{posix_path(error.path)}",
                    "severity": "blocker",
                    "categories": ["Bug Risk"],
                    "location": {"path": posix_path(error.path), "lines": {"begin": 1}},
                }
            )
        for f, fingerprint in fingerprints(result.findings):
            rule = known.get(f.rule)
            issue: dict[str, Any] = {
                "type": "issue",
                "description": f"{f.rule}: {f.message}",
                "check_name": f.rule,
                "fingerprint": fingerprint,
                "severity": _SEVERITY[f.severity.value],
                "categories": ["Bug Risk" if (rule is None or rule.group == "safety") else "Style"],
                "location": {
                    "path": posix_path(f.path),
                    "lines": {"begin": f.line, "end": f.end_line},
                },
            }
            if f.help:
                issue["content"] = {"body": f"Safe alternative: {f.help}"}
            issues.append(issue)
        out.write(json.dumps(issues, indent=2) + "\n")
