"""``sqlsafe stats``: table sizes for size-aware severity (``sqlsafe lint --stats``)."""

from __future__ import annotations

from dataclasses import replace

import click

from .lifecycle import run_guarded, timeout_option
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
@timeout_option(
    ", and every lock wait and query of the read-only --dsn session as long (a table "
    "another session holds an ACCESS EXCLUSIVE lock on is listed as not measured)"
)
def stats(dsn: str | None, calibrate: bool, calibration_rows: int, timeout: float) -> int:
    """Write JSON (to standard output) with each table's row estimate and size, for
    `sqlsafe lint --stats FILE`. Exit codes: 0 written, 2 usage or connection error,
    128+N ended by signal N.
    """
    from ..server.stats import Stats, collect
    from ..server.stats import calibrate as measure

    if not dsn and not calibrate:
        raise click.UsageError("pass --dsn URL (table sizes), --calibrate, or both")

    def work() -> Stats:
        result = collect(dsn, timeout) if dsn else Stats()
        if calibrate:
            result = replace(result, calibration=measure(rows=calibration_rows))
        return result

    def show(result: Stats) -> int:
        for name in result.not_measured:
            click.echo(
                f"sqlsafe stats: {name} not measured: another session holds an ACCESS "
                "EXCLUSIVE lock on it",
                err=True,
            )
        echo_json(result.document())
        return 0

    return run_guarded("stats", work, show)
