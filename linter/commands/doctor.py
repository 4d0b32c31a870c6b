"""``sqlsafe doctor``: read-only checks of a live database before and after migrating."""

from __future__ import annotations

from typing import Any

import click

from .lifecycle import emit, run_guarded, timeout_option
from .options import format_option


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
@timeout_option(", and every lock wait and query of the (read-only) checks as long")
@format_option("text", "json")
def doctor(
    dsn: str, long_transaction: float, blocker_age: float, timeout: float, output_format: str
) -> int:
    """Check a live database: invalid indexes, NOT VALID constraints, unused and duplicate
    indexes, foreign keys without an index, tables never analyzed, long transactions and
    the sessions that would block an AccessExclusiveLock now. Read-only.

    Exit codes: 0 nothing needs action (notes only), 1 an error or warning, 2 usage or
    connection error or a check that gave up (--timeout), 128+N ended by signal N.
    """
    from ..server.doctor import diagnose, render_text

    def show(report: Any) -> int:
        emit(report.document(), output_format, render_text)
        return 1 if report.needs_action else 0

    return run_guarded(
        "doctor",
        lambda: diagnose(
            dsn, long_transaction=long_transaction, blocker_age=blocker_age, timeout=timeout
        ),
        show,
    )
