"""``sqlsafe baseline write FILE [PATHS]``: record today's findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..analysis.registry import RegistryError, load_rules
from ..api import lint_paths
from .options import build_config, check_rule_names, known_names, settings_options


@click.group()
def baseline() -> None:
    """Record the current findings so that only new ones fail `sqlsafe lint --baseline`."""


@baseline.command("write")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("paths", nargs=-1, type=str)
@settings_options
def write(file: str, paths: tuple[str, ...], **options: Any) -> int:
    """Lint PATHS (default: the config's `history`) and record every finding in FILE.

    A finding is recorded by rule, path and statement text (not line number), so edits
    above it do not bring it back. Commit FILE and run `sqlsafe lint --baseline FILE`.
    """
    from ..output.baseline import BaselineError, check_writable, write_baseline
    from ..util.atomic import WriteError

    try:
        check_writable(Path(file))
    except BaselineError as exc:
        raise click.UsageError(str(exc)) from exc
    config = build_config(**options)
    if not paths:
        if not config.history:
            raise click.UsageError("no paths given and no `history` in the config")
        paths = (str(config.root / config.history),)
    try:
        rules = load_rules()
    except RegistryError as exc:
        raise click.UsageError(str(exc)) from exc
    check_rule_names(config, known_names(rules))
    result = lint_paths(paths, config, rules=rules)
    if result.errors:  # a baseline without an unread file's findings would hide nothing
        for error in result.errors:
            click.echo(f"{error.path}: error {error.reason}", err=True)
        click.echo(f"Nothing written to {file}: fix or exclude the files above.", err=True)
        return 1
    try:
        count = write_baseline(Path(file), result.findings)
    except WriteError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.UsageError(f"{file}: cannot write the baseline: {exc.strerror or exc}") from exc
    click.echo(f"Recorded {count} finding{'s' if count != 1 else ''} in {file}.")
    return 0
