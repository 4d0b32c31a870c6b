"""``sqlsafe explain``: what each statement does to production, statement by statement."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..analysis.registry import RegistryError, load_rules
from ..api import lint_paths
from ..output.explain import explain_document, render_text
from .options import (
    build_config,
    check_rule_names,
    echo_json,
    format_option,
    known_names,
    settings_options,
)


@click.command()
@click.argument("paths", nargs=-1, type=str)
@settings_options
@format_option("text", "json")
@click.option(
    "--stdin-filename",
    default="<stdin>",
    show_default=True,
    help="Name to report for input read from `-`; in a migrations directory, standard "
    "input takes that file's place in the directory's history.",
)
def explain(paths: tuple[str, ...], output_format: str, stdin_filename: str, **options: Any) -> int:
    """Show, per statement, the locks taken (relation -> mode) and what they block, the
    tables rewritten and scanned, the locks still held from earlier in the transaction,
    whether each touched table is new or existing, and the findings.

    Several files (or a directory) are one history, explained in version order.
    Exit code 0 (1 when a file cannot be read, 2 for usage errors).
    """
    if not paths:
        raise click.UsageError("no files given: pass migration files, directories, or -")
    config = build_config(**options)
    try:
        rules = load_rules()
    except RegistryError as exc:
        raise click.UsageError(str(exc)) from exc
    check_rule_names(config, known_names(rules))
    result = lint_paths(paths, config, rules=rules, stdin_name=stdin_filename, explain=True)
    document = explain_document(result)
    if output_format == "json":
        echo_json(document)
    else:
        for error in result.errors:
            click.echo(f"{error.path}: error {error.reason}", err=True)
        render_text(document["statements"], sys.stdout)
    return 1 if result.errors else 0
