"""``sqlsafe lint``: report dangerous statements in migration files."""

from __future__ import annotations

from typing import Any

import click

from ..output.replay import Recorder
from .configure import UsageProblem
from .lint_core import FORMATS, STDIN_NAME, run_lint
from .options import settings_options


@click.command()
@click.argument("paths", nargs=-1, type=str)
@settings_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Output format: text, json, sarif (SARIF 2.1.0), github (workflow annotations), "
    "gitlab (Code Quality), junit, gcc (one line per finding), markdown (migration plan).",
)
@click.option(
    "--stdin-filename",
    default=STDIN_NAME,
    show_default=True,
    help="Name to report for input read from `-` (standard input); in a migrations "
    "directory, standard input takes that file's place in the directory's history.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "note"]),
    default=None,
    help="Lowest severity that makes the exit code 1 (default: warning).",
)
@click.option(
    "--diff",
    "diff_ref",
    metavar="REF",
    default=None,
    help="Report only files added or changed since the git REF (its merge base with HEAD); "
    "the other files are read as history. Editing a file that existed at REF is reported "
    "as edited-applied-migration.",
)
@click.option(
    "--baseline",
    "baseline_file",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    default=None,
    help="Hide the findings recorded in FILE (see `sqlsafe baseline write`).",
)
@click.option(
    "--stats",
    "stats_file",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    default=None,
    help="Table sizes from `sqlsafe stats`: a rewrite or scan of a tiny table becomes a "
    "note, of a large one an error, and the message gives the size and lock time.",
)
@click.option(
    "--django-settings",
    metavar="MODULE",
    default=None,
    help="Django: the settings module whose INSTALLED_APPS (and AUTH_USER_MODEL) the "
    "migrations are rendered with (default: $DJANGO_SETTINGS_MODULE, else what manage.py "
    "sets). Its database is never used.",
)
@click.option(
    "--no-cache",
    is_flag=True,
    default=False,
    help="Do not read or write the result cache (see $SQLSAFE_CACHE_DIR).",
)
def lint(**params: Any) -> int:
    """Lint migration FILES and directories (every *.sql below a directory; - for stdin).

    Alembic revisions and Django migrations (*.py) are linted as the SQL their framework
    would send, rendered offline without a database (read statically when the framework
    cannot be imported); findings point at the .py line that wrote the statement.

    Files named together, and the files of a directory, form one migration history in
    natural version order: objects created by an earlier file exist (and may be large)
    for the later ones. A file named alone in a migrations directory is linted after the
    directory's other files, read as history (--no-history: not). Exit codes: 0 clean,
    1 findings, 2 usage or configuration error.
    """
    recorder = click.get_current_context().find_root().obj
    try:
        return run_lint(recorder=recorder if isinstance(recorder, Recorder) else None, **params)
    except UsageProblem as exc:
        raise click.UsageError(str(exc)) from exc
