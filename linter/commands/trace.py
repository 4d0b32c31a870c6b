"""``sqlsafe trace``: run migrations on a real PostgreSQL and report what really happened."""

from __future__ import annotations

from typing import Any

import click

from .lifecycle import emit, run_guarded, timeout_option
from .options import build_config, format_option, refuse_stdin, settings_options


@click.command()
@click.argument("paths", nargs=-1, type=str)
@settings_options
@click.option(
    "--dsn",
    metavar="URL",
    default=None,
    help="Use this server instead of a throwaway embedded one; sqlsafe creates, uses and "
    "drops its own temporary database there (needs CREATEDB; with CREATEROLE or superuser "
    "the migrations also run as a temporary role of their own). Statements that act "
    "outside that database are skipped (docs/trace.md, Safety).",
)
@click.option(
    "--rows",
    type=click.IntRange(min=0),
    default=2000,
    show_default=True,
    help="Generated rows inserted into every empty table before each traced file.",
)
@click.option(
    "--compare",
    is_flag=True,
    help="Show the static prediction (explain) beside the observation; exit 1 on any "
    "difference in locks, rewrites or scans.",
)
@click.option(
    "--roundtrip",
    is_flag=True,
    help="For layouts with down migrations: apply up, down, up again and report every "
    "catalog difference between before up and after down.",
)
@click.option(
    "--allow-server-programs",
    is_flag=True,
    help="Embedded server only (refused with --dsn): let the migrations run programs and "
    "read or write files on this machine (COPY ... PROGRAM, COPY to/from a file, "
    "pg_read_file, lo_import...). Without it such statements are skipped.",
)
@timeout_option(
    ", and sqlsafe's own queries (creating and dropping its database) wait at most SECONDS "
    "for a lock; the migration's statements are not limited"
)
@format_option("text", "json")
def trace(
    paths: tuple[str, ...],
    dsn: str | None,
    rows: int,
    compare: bool,
    roundtrip: bool,
    allow_server_programs: bool,
    timeout: float,
    output_format: str,
    **options: Any,
) -> int:
    """Run migration FILES on a real PostgreSQL and report, per statement, the locks held,
    tables rewritten and scanned, constraints added, duration and errors.

    The files before the traced ones (their directory, or the `history` setting) are
    applied first. Needs `pip install 'sqlsafe[trace]'` (or --dsn). Exit codes: 0 fine,
    1 a statement failed / a difference (--compare) / a roundtrip finding, 2 usage error
    or a failed cleanup, 128+N ended by signal N (SIGINT, SIGTERM, SIGHUP: cleaned up first).
    """
    if not paths:
        raise click.UsageError("no files given: pass migration files or directories")
    refuse_stdin(paths, "trace", "it runs migration files in their history; name them")
    config = build_config(**options)

    if roundtrip:
        from ..server.roundtrip import render_roundtrip, roundtrip_paths

        def show_roundtrip(outcome: Any) -> int:
            emit(outcome.document(), output_format, render_roundtrip)
            return 1 if outcome.findings else 0

        return run_guarded(
            "trace",
            lambda: roundtrip_paths(
                paths,
                config,
                dsn=dsn,
                allow_server_programs=allow_server_programs,
                timeout=timeout,
            ),
            show_roundtrip,
        )
    from ..server.trace import render_text, trace_paths

    def show(result: Any) -> int:
        emit(
            result.document(compare), output_format, lambda doc, out: render_text(doc, out, compare)
        )
        failing = result.failed or (compare and result.differences() > 0)
        return 1 if failing else 0

    return run_guarded(
        "trace",
        lambda: trace_paths(
            paths,
            config,
            dsn=dsn,
            rows=rows,
            allow_server_programs=allow_server_programs,
            timeout=timeout,
        ),
        show,
    )
