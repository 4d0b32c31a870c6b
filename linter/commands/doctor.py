"""``sqlsafe doctor``: read-only checks of a live database before and after migrating."""

from __future__ import annotations

import sys

import click

from ..trace_db import TraceError
from .options import echo_json, format_option


@click.command()
@click.option("--dsn", metavar="URL", required=True, help="The database to check (read-only).")
@click.option(
    "--long-transaction",
    type=click.FloatRange(min=0),
    default=300.0,
    show_default=True,
    metavar="SECONDS",
    help="Report transactions open at least this long.",
)
@click.option(
    "--blocker-age",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    metavar="SECONDS",
    help="Report sessions whose transaction, open at least this long, holds a lock that "
    "would block an AccessExclusiveLock.",
)
@format_option("text", "json")
def doctor(dsn: str, long_transaction: float, blocker_age: float, output_format: str) -> int:
    """Check a live database: invalid indexes, NOT VALID constraints, unused and duplicate
    indexes, foreign keys without an index, tables never analyzed, long transactions and
    the sessions that would block an AccessExclusiveLock now. Read-only.

    Exit codes: 0 nothing needs action (notes only), 1 an error or warning, 2 usage or
    connection error.
    """
    from ..doctor import diagnose, render_text

    try:
        report = diagnose(dsn, long_transaction=long_transaction, blocker_age=blocker_age)
    except TraceError as exc:
        click.echo(f"sqlsafe doctor: {exc}", err=True)
        return 2
    doc = report.document()
    if output_format == "json":
        echo_json(doc)
    else:
        render_text(doc, sys.stdout)
    return 1 if report.needs_action else 0
