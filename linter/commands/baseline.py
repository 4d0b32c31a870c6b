"""``sqlsafe baseline write FILE [PATHS]``: record today's findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..api import lint_paths
from ..registry import RegistryError, load_rules
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
    from ..baseline import write_baseline

    try:
        count = write_baseline(Path(file), result.findings)
    except OSError as exc:
        raise click.UsageError(f"{file}: cannot write the baseline: {exc.strerror or exc}") from exc
    for error in result.errors:
        click.echo(f"{error.path}: error {error.reason}", err=True)
    click.echo(f"Recorded {count} finding{'s' if count != 1 else ''} in {file}.")
    return 1 if result.errors else 0
