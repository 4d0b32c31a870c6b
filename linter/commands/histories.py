"""``sqlsafe histories PATH...``: how sqlsafe reads a tree of migrations."""

from __future__ import annotations

import os
from typing import Any

import click

from ..api import describe_histories
from .options import build_config, echo_json, format_option, refuse_stdin, settings_options


def _heading(history: dict[str, Any]) -> str:
    units = history["units"]
    files = len({u["path"] for u in units})
    count = f"{files} file{'s' if files != 1 else ''}"
    if len(units) != files:  # goose / dbmate files hold an up and a down section
        count += f", {len(units)} sections"
    return f"{history['root'] or '(one history)'}: {', '.join(history['layouts'])}, {count}"


@click.command()
@click.argument("paths", nargs=-1, required=True, type=str)
@settings_options
@format_option("text", "json")
def histories(paths: tuple[str, ...], output_format: str, **options: Any) -> int:
    """Show the migration histories in PATHS, as `sqlsafe lint` reads them.

    Each migrations directory is one history (one database) with its own layout; for each,
    the files are listed in the order the migration tool applies them, with their
    direction (up, down, repeatable, other), whether they build the schema model
    (down migrations are linted but not applied) and whether the runner wraps them in a
    transaction ("one query": the file is sent as one multi-statement query), then the
    files the layout skips (another popx dialect...) and why. Nothing is linted.

    It takes the `lint` options; those that change the result are --config, --layout,
    --exclude, --schema and --assume-in-transaction. Exit 0, or 1 when a file cannot be
    read.
    """
    refuse_stdin(paths, "histories", "it describes migration directories; name them")
    config = build_config(**options)
    document = describe_histories(paths, config)
    found: list[dict[str, Any]] = document["histories"]  # type: ignore[assignment]
    errors: list[dict[str, str]] = document["errors"]  # type: ignore[assignment]
    if output_format == "json":
        echo_json(document)
    else:
        for history in found:
            click.echo(_heading(history))
            root = history["root"]
            units = history["units"]
            skipped = history["skipped"]
            shown = [os.path.relpath(u["path"], root) if root else u["path"] for u in units]
            hidden = [os.path.relpath(u["path"], root) if root else u["path"] for u in skipped]
            width = max(len(name) for name in (*shown, *hidden))
            for name, unit in zip(shown, units, strict=True):
                applied = "" if unit["applied"] else ", not applied"
                click.echo(
                    f"  {name:<{width}}  {unit['direction']}{applied}, "
                    f"transaction: {unit['transaction']}"
                )
            for name, item in zip(hidden, skipped, strict=True):
                why = item["why"] or f"{item['layout']} does not run it"
                click.echo(f"  {name:<{width}}  skipped: {why}")
        if not found and not errors:
            click.echo("no migration files found", err=True)
    for error in errors:
        click.echo(f"{error['path']}: error {error['reason']}", err=True)
    return 1 if errors else 0
