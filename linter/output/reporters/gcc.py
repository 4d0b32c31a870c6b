"""One line per finding, the way compilers print diagnostics (editors jump to them)."""

from __future__ import annotations

import itertools
from typing import TextIO

from ...analysis.engine import LintResult
from ...rule import Rule


def _one_line(text: str) -> str:
    return " ".join(text.split())


class GccReporter:
    def report(self, result: LintResult, rules: tuple[Rule, ...], out: TextIO) -> None:
        lines = itertools.chain(
            (
                f"{e.path}:1:1: error: {_one_line(e.reason)} [unreadable-file]"
                for e in result.errors
            ),
            (
                f"{f.path}:{f.line}:{f.column}: {f.severity.value}: {_one_line(f.message)} "
                f"[{f.rule}]"
                for f in result.findings
            ),
        )
        # (written 1,000 lines at a time: the whole output built as one string first, then
        # joined, took three copies of it, ~15 times the input of a file with a finding in
        # every statement)
        while batch := list(itertools.islice(lines, 1_000)):
            out.write("\n".join(batch) + "\n")
