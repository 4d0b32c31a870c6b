"""``sqlsafe stats``: table sizes for size-aware severity (``sqlsafe lint --stats``)."""

from __future__ import annotations

from dataclasses import replace

import click

from ..trace_db import TraceError
from .options import echo_json


@click.command()
@click.option(
    "--dsn",
    metavar="URL",
    default=None,
    help="The database whose tables to record (read-only): row estimates and sizes.",
)
@click.option(
    "--calibrate",
    is_flag=True,
    help="Measure rewrite and scan throughput on the embedded server and record it.",
)
@click.option(
    "--calibration-rows",
    type=click.IntRange(min=1000),
    default=200_000,
    show_default=True,
    help="Rows in the calibration table.",
)
def stats(dsn: str | None, calibrate: bool, calibration_rows: int) -> int:
    """Write JSON (to standard output) with each table's row estimate and size, for
    `sqlsafe lint --stats FILE`. Exit codes: 0 written, 2 usage or connection error.
    """
    from ..stats import Stats, collect
    from ..stats import calibrate as measure

    if not dsn and not calibrate:
        raise click.UsageError("pass --dsn URL (table sizes), --calibrate, or both")
    try:
        result = collect(dsn) if dsn else Stats()
        if calibrate:
            result = replace(result, calibration=measure(rows=calibration_rows))
    except TraceError as exc:
        click.echo(f"sqlsafe stats: {exc}", err=True)
        return 2
    echo_json(result.document())
    return 0
