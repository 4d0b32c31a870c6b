"""GitHub Actions workflow commands: findings become annotations on the pull request diff."""

from __future__ import annotations

from typing import TextIO

from ...analysis.engine import LintResult
from ...rule import Rule
from ._common import posix_path

_LEVEL = {"error": "error", "warning": "warning", "note": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, **props: object) -> str:
    fields = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items() if v is not None)
    return (
        f"::{level} {fields}::{escape_data(message)}"
        if fields
        else f"::{level}::{escape_data(message)}"
    )


class GithubReporter:
    def report(self, result: LintResult, rules: tuple[Rule, ...], out: TextIO) -> None:
        for error in result.errors:
            out.write(
                command("error", error.reason, file=posix_path(error.path), title="sqlsafe") + "\n"
            )
        for f in result.findings:
            message = f.message if not f.help else f"{f.message}\n\nSafe alternative: {f.help}"
            out.write(
                command(
                    _LEVEL[f.severity.value],
                    message,
                    file=posix_path(f.path),
                    line=f.line,
                    col=f.column,
                    endLine=f.end_line,
                    title=f"sqlsafe {f.rule} ({f.code})",
                )
                + "\n"
            )
        from .text import summary_line

        out.write(summary_line(result) + "\n")
