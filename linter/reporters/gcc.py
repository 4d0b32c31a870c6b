"""One line per finding, the way compilers print diagnostics (editors jump to them)."""

from __future__ import annotations

from typing import TextIO

from ..engine import LintResult
from ..rule import Rule


def _one_line(text: str) -> str:
    return " ".join(text.split())


class GccReporter:
    def report(self, result: LintResult, rules: tuple[Rule, ...], out: TextIO) -> None:
        lines = [
            f"{e.path}:1:1: error: {_one_line(e.reason)} [unreadable-file]" for e in result.errors
        ]
        lines.extend(
            f"{f.path}:{f.line}:{f.column}: {f.severity.value}: {_one_line(f.message)} [{f.rule}]"
            for f in result.findings
        )
        if lines:
            out.write("\n".join(lines) + "\n")
