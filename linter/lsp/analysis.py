"""One editor buffer linted as ``sqlsafe lint - --stdin-filename PATH`` lints it: after
the history of the migrations directory it sits in (or the configured ``history``), with
the config found from its directory, and the other open buffers read instead of their
files on disk. No LSP types here."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..analysis.engine import Finding, LintResult, StatementReport
from ..api import STDIN, gather, lint_paths, read_inputs, split_sources
from ..inputs.config import Config, ConfigError, known_names, load_config, unknown_rule
from ..inputs.layouts import history_directory
from ..inputs.source import Source, is_excluded
from ..rule import Rule
from ..util.records import record
from .checkpoints import Checkpoints


@record
class Analysis:
    """What sqlsafe says about one buffer's text."""

    path: str
    text: str
    findings: tuple[Finding, ...] = ()
    statements: tuple[StatementReport, ...] = ()  # what ``explain`` says, statement by statement
    problem: str | None = None  # why it was not linted (a config error), shown on line 1
    history: str | None = None  # the migrations directory whose files it is linted with
    config: Config | None = None


def ident(path: str) -> str:
    """The key buffers and histories are compared by."""
    return os.path.normcase(os.path.abspath(path))


def buffer_config(path: str) -> Config:
    """The config that ``sqlsafe lint`` run in the file's directory uses (found from
    there upwards). Raises :class:`ConfigError` for a file that cannot be used."""
    directory = Path(path).parent
    return load_config(start=directory if directory.is_dir() else None)


def history_of(path: str, config: Config) -> str | None:
    """The migrations directory whose files the buffer *path* is linted with (``None``:
    linted alone)."""
    if config.history:
        root = Path(config.history)
        return ident(str(root if root.is_absolute() else config.root / root))
    if not config.implicit_history:
        return None
    found = history_directory(Path(path), config.layout)
    return None if found is None else ident(str(found))


def excluded(path: str, config: Config) -> bool:
    """Whether the config's ``exclude`` globs leave *path* out (matched as ``sqlsafe lint``
    run from the config's directory names it)."""
    patterns = config.settings.exclude
    if not patterns:
        return False
    return is_excluded(os.path.relpath(path, config.root), patterns) or is_excluded(path, patterns)


def analyse(
    path: str,
    text: str,
    rules: Sequence[Rule],
    buffers: Mapping[str, str] | None = None,
    checkpoints: Checkpoints | None = None,
) -> Analysis:
    """Lint *text* as the file *path* (absolute); *buffers* (:func:`ident` -> text) are
    the other open files, read instead of the disk when they are in its history.
    *checkpoints*: resume from the model before the file when what precedes it is
    unchanged (the findings are the same; see :mod:`.checkpoints`)."""
    try:
        config = buffer_config(path)
    except ConfigError as exc:
        return Analysis(path, text, problem=str(exc))
    problem = unknown_rule(config, known_names(rules))
    if problem is not None:
        return Analysis(path, text, problem=problem)
    if excluded(path, config):
        return Analysis(path, text, history=history_of(path, config), config=config)
    texts = {**(buffers or {}), ident(path): text}
    mine = ident(path)
    result = None
    if checkpoints is not None:
        result = _resumed(mine, path, config, rules, texts, checkpoints)
    if result is None:
        result = lint_paths(
            [STDIN], config, rules=tuple(rules), stdin_name=path, explain=True, buffers=texts
        )
    problem = next((e.reason for e in result.errors if ident(e.path) == mine), None)
    return Analysis(
        path,
        text,
        tuple(f for f in result.findings if ident(f.path) == mine),
        tuple(s for s in result.statements if ident(s.path) == mine),
        problem,
        history_of(path, config),
        config,
    )


def _resumed(
    mine: str,
    path: str,
    config: Config,
    rules: Sequence[Rule],
    texts: Mapping[str, str],
    checkpoints: Checkpoints,
) -> LintResult | None:
    """What :func:`lint_paths` finds for the buffer, through *checkpoints*; ``None`` when
    the buffer's history is not one list of sources (then :func:`lint_paths` does it)."""
    inputs = gather([STDIN], config, path, texts)
    sources = read_inputs(inputs)
    position = next(
        (i for i, s in enumerate(sources) if isinstance(s, Source) and ident(s.path) == mine),
        None,
    )
    if position is None or len(split_sources(sources)) != 1:
        return None
    report = {*inputs.report, path}
    return checkpoints.lint(mine, position, sources, rules, config.settings, report)
