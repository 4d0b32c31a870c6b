"""Options shared by the commands that lint, and turning them into a Config."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from ..inputs.config import Config, unknown_rule
from ..inputs.config import known_names as known_names  # (the commands import it from here)
from ..inputs.layouts import LAYOUTS
from .configure import UsageProblem, make_config

F = TypeVar("F", bound=Callable[..., Any])


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


def build_config(**options: Any) -> Config:
    """Load the config file, then apply the command-line overrides (the settings options,
    see :func:`configure.make_config`). Raises UsageError."""
    try:
        return make_config(**options)
    except UsageProblem as exc:
        raise click.UsageError(str(exc)) from exc


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
