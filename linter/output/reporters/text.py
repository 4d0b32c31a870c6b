"""Human-readable output: location, rule, message, the source lines, the safe way."""

from __future__ import annotations

import os
import stat
from collections import Counter
from typing import TextIO

from ...analysis.engine import Finding, LintResult
from ...rule import Rule

_COLORS = {"error": "\033[31m", "warning": "\033[33m", "note": "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"
_MAX_LINES = 6
_MAX_WIDTH = 160  # characters of a source line shown


def use_color(out: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


class TextReporter:
    def __init__(self, color: bool | None = None) -> None:
        self.color = color

    def report(self, result: LintResult, rules: tuple[Rule, ...], out: TextIO) -> None:
        color = use_color(out) if self.color is None else self.color

        def paint(code: str, text: str) -> str:
            return f"{code}{text}{_RESET}" if color else text

        sources: dict[str, list[str]] = {}
        for error in result.errors:
            out.write(
                f"{paint(_BOLD, error.path)}: {paint(_COLORS['error'], 'error')} {error.reason}\n"
            )
        for finding in result.findings:
            sev = finding.severity.value
            out.write(
                f"{paint(_BOLD, f'{finding.path}:{finding.line}:{finding.column}')}: "
                f"{paint(_COLORS[sev], sev)} {paint(_BOLD, finding.rule)}: {finding.message}\n"
            )
            if finding.path in result.texts and finding.path not in sources:
                sources[finding.path] = result.texts[finding.path].splitlines()
            self._source(out, finding, sources, paint)
            if finding.help:
                out.write(f"  {paint(_DIM, 'safe alternative:')} {finding.help}\n")
            out.write("\n")
        out.write(summary_line(result) + "\n")

    @staticmethod
    def _source(out: TextIO, finding: Finding, cache: dict[str, list[str]], paint: object) -> None:
        lines = cache.get(finding.path)
        if lines is None:
            lines = _read_lines(finding.path)
            cache[finding.path] = lines
        if not lines or finding.line > len(lines):
            if finding.sql:
                for i, text in enumerate(finding.sql.splitlines()[:_MAX_LINES]):
                    out.write(f"  {finding.line + i:>5} | {_clip(text, 1)[0]}\n")
            return
        last = min(finding.end_line, finding.line + _MAX_LINES - 1, len(lines))
        for number in range(finding.line, last + 1):
            column = finding.column if number == finding.line else 1
            text, caret = _clip(lines[number - 1], column)
            out.write(f"  {number:>5} | {text}\n")
            if number == finding.line:
                out.write(f"        | {' ' * caret}^\n")
        if finding.end_line > last:
            out.write(f"        | ... ({finding.end_line - last} more lines)\n")


def _clip(line: str, column: int) -> tuple[str, int]:
    """At most _MAX_WIDTH characters of *line* around *column* (a one-line seed-data file
    must not print megabytes), and where the caret goes in them."""
    if len(line) <= _MAX_WIDTH:
        return line, column - 1
    start = max(0, min(column - 1 - _MAX_WIDTH // 3, len(line) - _MAX_WIDTH))
    text = line[start : start + _MAX_WIDTH]
    head = "... " if start else ""
    tail = " ..." if start + _MAX_WIDTH < len(line) else ""
    return head + text + tail, len(head) + column - 1 - start


def _read_lines(path: str) -> list[str]:
    """The lines of *path*, read again to show the source (a FIFO or a device named on the
    command line cannot be read twice: their findings show the statement instead)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return []
        with open(path, encoding="utf-8-sig", errors="replace") as handle:
            return handle.read().splitlines()
    except OSError:
        return []


def summary_line(result: LintResult) -> str:
    counts = Counter(f.severity.value for f in result.findings)
    files = f"{result.files} file{'s' if result.files != 1 else ''}"
    if not result.findings and not result.errors:
        return f"All clear: {files} checked, no findings."
    parts = [f"{n} {sev}{'s' if n != 1 else ''}" for sev, n in sorted(counts.items())]
    line = f"Found {', '.join(parts)} in {files}." if parts else f"No findings in {files}."
    if result.errors:
        n = len(result.errors)
        line += f" {n} file{'s' if n != 1 else ''} could not be read."
    return line
