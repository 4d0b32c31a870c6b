"""Options shared by the commands that lint, and turning them into a Config."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import click

from ..inputs.config import Config, ConfigError, load_config, parse_version, unknown_rule
from ..inputs.config import known_names as known_names  # (the commands import it from here)
from ..inputs.layouts import LAYOUTS

F = TypeVar("F", bound=Callable[..., Any])


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return tuple(out)


def settings_options(func: F) -> F:
    """--config, --target-version, --assume-in-transaction, --select, --ignore."""
    decorators = [
        click.option(
            "--config",
            "config_file",
            type=click.Path(dir_okay=False),
            help="Config file to use instead of searching for .sqlsafe.toml or "
            "pyproject.toml [tool.sqlsafe] upwards from the current directory.",
        ),
        click.option(
            "--target-version",
            type=str,
            default=None,
            metavar="N",
            help="PostgreSQL major version the migrations will run on (default 15).",
        ),
        click.option(
            "--assume-in-transaction/--no-assume-in-transaction",
            default=None,
            help="Whether the migration runner wraps each file in a transaction.",
        ),
        click.option(
            "--select",
            multiple=True,
            metavar="RULES",
            help="Only these rules (names, codes, code prefixes or groups; "
            "comma-separated or repeated).",
        ),
        click.option(
            "--ignore",
            multiple=True,
            metavar="RULES",
            help="Skip these rules (names, codes, code prefixes or groups).",
        ),
        click.option(
            "--exclude",
            multiple=True,
            metavar="GLOB",
            help="Skip files matching these globs (added to the config's exclude).",
        ),
        click.option(
            "--layout",
            type=click.Choice(LAYOUTS),
            default=None,
            help="How the migrations are laid out (default: detected per directory).",
        ),
        click.option(
            "--schema",
            "schema_files",
            multiple=True,
            type=click.Path(exists=True),
            metavar="FILE",
            help="Baseline applied before the migrations and not reported: a "
            "`pg_dump --schema-only` file or earlier migrations (repeatable).",
        ),
        click.option(
            "--no-history",
            is_flag=True,
            default=False,
            help="Read no history: a file named alone is linted without the earlier files "
            "of its migrations directory (and without the configured `history`).",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def build_config(
    config_file: str | None,
    target_version: str | None,
    assume_in_transaction: bool | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    exclude: tuple[str, ...] = (),
    layout: str | None = None,
    schema_files: tuple[str, ...] = (),
    no_history: bool = False,
    **extra: Any,
) -> Config:
    """Load the config file, then apply the command-line overrides. Raises UsageError."""
    try:
        config = load_config(Path(config_file) if config_file else None)
        overrides: dict[str, Any] = {}
        if target_version is not None:
            overrides["target_version"] = parse_version(target_version, "--target-version")
        if assume_in_transaction is not None:
            overrides["assume_in_transaction"] = assume_in_transaction
        if select:
            overrides["select"] = _split(select)
        if ignore:
            overrides["ignore"] = (*config.settings.ignore, *_split(ignore))
        if exclude:
            overrides["exclude"] = (*config.settings.exclude, *exclude)
        overrides.update({k: v for k, v in extra.items() if v is not None})
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    explicit = (
        config.explicit | {"assume-in-transaction"}
        if assume_in_transaction is not None
        else config.explicit
    )
    return replace(
        config,
        settings=replace(config.settings, **overrides),
        layout=layout or config.layout,
        baseline=(*config.baseline, *schema_files),
        explicit=explicit,
        history=None if no_history else config.history,
        implicit_history=not no_history,
    )


def refuse_stdin(paths: tuple[str, ...], command: str, why: str) -> None:
    """``-`` (standard input) is for ``lint`` and ``explain``; other commands say so."""
    if "-" in paths:
        raise click.UsageError(f"`sqlsafe {command}` does not read standard input ('-'): {why}")


def check_rule_names(config: Config, known: set[str]) -> None:
    """Refuse unknown rule names in select/ignore/per-file-ignores/severity (exit 2)."""
    problem = unknown_rule(config, known)
    if problem is not None:
        raise click.UsageError(problem)


def format_option(*choices: str) -> Callable[[F], F]:
    """``--format`` with *choices*, the first one the default."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(list(choices)),
        default=choices[0],
        show_default=True,
        help="Output format.",
    )


def echo_json(document: object) -> None:
    """Print *document* as indented JSON on standard output."""
    import json
    import sys

    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")
