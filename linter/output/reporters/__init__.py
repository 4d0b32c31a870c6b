"""Output formats: a Protocol and an explicit registry of reporter factories."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TextIO

from ...analysis.engine import LintResult
from ...rule import Rule


class Reporter(Protocol):
    def report(self, result: LintResult, rules: tuple[Rule, ...], out: TextIO) -> None: ...


def _text() -> Reporter:
    from .text import TextReporter

    return TextReporter()


def _json() -> Reporter:
    from .json import JsonReporter

    return JsonReporter()


def _sarif() -> Reporter:
    from .sarif import SarifReporter

    return SarifReporter()


def _github() -> Reporter:
    from .github import GithubReporter

    return GithubReporter()


def _gitlab() -> Reporter:
    from .gitlab import GitlabReporter

    return GitlabReporter()


def _junit() -> Reporter:
    from .junit import JunitReporter

    return JunitReporter()


def _gcc() -> Reporter:
    from .gcc import GccReporter

    return GccReporter()


def _markdown() -> Reporter:
    from .markdown import MarkdownReporter

    return MarkdownReporter()


REPORTERS: dict[str, Callable[[], Reporter]] = {
    "text": _text,
    "json": _json,
    "sarif": _sarif,
    "github": _github,
    "gitlab": _gitlab,
    "junit": _junit,
    "gcc": _gcc,
    "markdown": _markdown,
}

# formats that need per-statement effects (``lint_paths(..., explain=True)``)
NEEDS_STATEMENTS = frozenset({"markdown"})


def get_reporter(name: str) -> Reporter:
    return REPORTERS[name]()
