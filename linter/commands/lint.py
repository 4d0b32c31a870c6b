"""``sqlsafe lint``: report dangerous statements in migration files."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..api import lint_paths
from ..registry import RegistryError, load_rules
from ..rule import Severity
from .options import build_config, check_rule_names, known_names, settings_options

FORMATS = ("text", "json")


@click.command()
@click.argument("paths", nargs=-1, type=str)
@settings_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--stdin-filename",
    default="<stdin>",
    show_default=True,
    help="Name to report for input read from `-` (standard input).",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "note"]),
    default=None,
    help="Lowest severity that makes the exit code 1 (default: warning).",
)
def lint(
    paths: tuple[str, ...],
    output_format: str,
    stdin_filename: str,
    fail_on: str | None,
    **options: Any,
) -> int:
    """Lint migration FILES and directories (every *.sql below a directory; - for stdin).

    Files named together, and the files of a directory, form one migration history in
    natural version order: objects created by an earlier file exist (and may be large)
    for the later ones. Exit codes: 0 clean, 1 findings, 2 usage or configuration error.
    """
    if not paths:
        raise click.UsageError("no files given: pass migration files, directories, or - for stdin")
    config = build_config(fail_on=fail_on, **options)
    try:
        rules = load_rules()
    except RegistryError as exc:
        raise click.UsageError(str(exc)) from exc
    check_rule_names(config, known_names(rules))
    result = lint_paths(paths, config, rules=rules, stdin_name=stdin_filename)
    from ..reporters import get_reporter

    get_reporter(output_format).report(result, rules, sys.stdout)
    threshold = Severity(config.settings.fail_on).rank
    failing = any(f.severity.rank >= threshold for f in result.findings)
    return 1 if failing or result.errors else 0
