"""Output formats: a Protocol and an explicit registry of reporter factories."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TextIO

from ..engine import LintResult
from ..rule import Rule


class Reporter(Protocol):
    def report(self, result: LintResult, rules: tuple[Rule, ...], out: TextIO) -> None: ...


def _text() -> Reporter:
    from .text import TextReporter

    return TextReporter()


def _json() -> Reporter:
    from .json import JsonReporter

    return JsonReporter()


REPORTERS: dict[str, Callable[[], Reporter]] = {
    "text": _text,
    "json": _json,
}


def get_reporter(name: str) -> Reporter:
    return REPORTERS[name]()
