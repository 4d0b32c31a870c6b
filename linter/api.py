"""The library entry points the CLI calls: gather files, build the history, lint."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .config import Config
from .engine import LintResult, lint_sources
from .registry import load_rules
from .rule import Rule
from .source import Source, SourceError, expand_paths, natural_key, read_source, read_stdin

STDIN = "-"


@dataclass(frozen=True, slots=True)
class Inputs:
    """What to lint and what only builds the schema model, in history order."""

    ordered: tuple[str, ...]  # every file, history order
    report: frozenset[str]  # the files whose findings are reported
    stdin_name: str | None = None


def _display(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def gather(paths: Sequence[str], config: Config, stdin_name: str | None = None) -> Inputs:
    """Expand directories, add the configured history, order everything naturally."""
    exclude = config.settings.exclude
    named = [p for p in paths if p != STDIN]
    files = expand_paths(named, exclude)
    report = {os.path.normpath(f) for f in files}
    history: list[str] = []
    if config.history:
        root = Path(config.history)
        if not root.is_absolute():
            root = config.root / root
        if root.is_dir():
            history = [_display(f) for f in expand_paths([str(root)], exclude)]
    by_key: dict[str, str] = {}
    for f in [*history, *files]:
        by_key.setdefault(os.path.normcase(os.path.abspath(f)), os.path.normpath(f))
    ordered = sorted(by_key.values(), key=lambda p: natural_key(os.path.abspath(p)))
    if report and history:
        # files after the last reported one cannot change any reported finding
        last = max(ordered.index(p) for p in ordered if p in report)
        ordered = ordered[: last + 1]
    return Inputs(tuple(ordered), frozenset(report), stdin_name if STDIN in paths else None)


def read_inputs(inputs: Inputs) -> list[Source | SourceError]:
    sources: list[Source | SourceError] = [read_source(p) for p in inputs.ordered]
    if inputs.stdin_name is not None:
        sources.append(read_stdin(inputs.stdin_name))
    return sources


def lint_paths(
    paths: Sequence[str],
    config: Config,
    *,
    rules: tuple[Rule, ...] | None = None,
    stdin_name: str = "<stdin>",
    explain: bool = False,
) -> LintResult:
    inputs = gather(paths, config, stdin_name)
    sources = read_inputs(inputs)
    report = set(inputs.report)
    if inputs.stdin_name is not None:
        report.add(inputs.stdin_name)
    result = lint_sources(
        sources,
        rules if rules is not None else load_rules(),
        config.settings,
        report=report,
        explain=explain,
    )
    result.errors = [e for e in result.errors if e.path in report]
    return result
