"""``sqlsafe lint``: report dangerous statements in migration files."""

from __future__ import annotations

import io
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from ..analysis.registry import RegistryError, load_rules
from ..api import lint_paths
from ..inputs.configsearch import config_candidates
from ..output.replay import Recorder
from ..rule import Severity
from ..util.collector import lint_pace
from .options import build_config, check_rule_names, known_names, settings_options

FORMATS = ("text", "json", "sarif", "github", "gitlab", "junit", "gcc", "markdown")


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
    default="<stdin>",
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
def lint(
    paths: tuple[str, ...],
    output_format: str,
    stdin_filename: str,
    fail_on: str | None,
    diff_ref: str | None,
    baseline_file: str | None,
    no_cache: bool,
    stats_file: str | None = None,
    django_settings: str | None = None,
    **options: Any,
) -> int:
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
    if not paths:
        raise click.UsageError("no files given: pass migration files, directories, or - for stdin")
    config = build_config(fail_on=fail_on, **options)
    if django_settings:
        config = replace(config, django_settings=django_settings)
    try:
        rules = load_rules()
    except RegistryError as exc:
        raise click.UsageError(str(exc)) from exc
    check_rule_names(config, known_names(rules))
    baseline = None
    if baseline_file is not None:
        from ..output.baseline import BaselineError, load_baseline

        try:
            baseline = load_baseline(Path(baseline_file))
        except BaselineError as exc:
            raise click.UsageError(str(exc)) from exc
    only = edited = added = None
    if diff_ref is not None:
        from ..inputs.gitdiff import GitError, changed_files

        try:
            changes = changed_files(diff_ref)
        except GitError as exc:
            raise click.UsageError(f"--diff {diff_ref}: {exc}") from exc
        only, edited, added = changes.changed, changes.modified, changes.added
    from ..output.reporters import NEEDS_STATEMENTS, get_reporter

    cache = None
    if not no_cache:
        from ..output.cache import ResultCache, default_cache_dir

        cache = ResultCache(default_cache_dir(config.path))
    with lint_pace():  # (fewer garbage collections: see linter.util.collector)
        result = lint_paths(
            paths,
            config,
            rules=rules,
            stdin_name=stdin_filename,
            explain=output_format in NEEDS_STATEMENTS or stats_file is not None,
            only=only,
            edited=edited or (),
            cache=cache,
            added=added or (),
        )
    if baseline is not None:
        result.findings, _hidden = baseline.filter(result.findings)
        if result.statements:
            kept = set(result.findings)
            result.statements = [
                replace(s, findings=tuple(f for f in s.findings if f in kept))
                for s in result.statements
            ]
    if stats_file is not None:
        from ..server.stats import StatsError, grade, load_stats

        try:
            result = grade(result, load_stats(stats_file), rules)
        except StatsError as exc:
            raise click.UsageError(str(exc)) from exc
    for note in result.notes:  # (Python migrations read statically: said once, on stderr)
        click.echo(f"sqlsafe: {note}", err=True)
    # (a replay prints the stored standard output only: a run with notes is not stored)
    recorder = None if result.notes else _recorder(paths, no_cache, diff_ref)
    out = io.StringIO() if recorder is not None else sys.stdout
    get_reporter(output_format).report(result, rules, out)
    threshold = Severity(config.settings.fail_on).rank
    failing = any(f.severity.rank >= threshold for f in result.findings)
    code = 1 if failing or result.errors else 0
    if recorder is not None and isinstance(out, io.StringIO):
        text = out.getvalue()
        sys.stdout.write(text)
        from ..api import history_paths

        recorder.store(
            text,
            code,
            directories=[*paths, *history_paths(config)],
            files=[
                *config_candidates(Path.cwd().resolve()),
                *(str(p) for p in (config.path, baseline_file, stats_file) if p),
            ],
        )
    return code


def _recorder(paths: tuple[str, ...], no_cache: bool, diff_ref: str | None) -> Recorder | None:
    """The run's :class:`Recorder` when its output can be replayed (see
    :mod:`linter.output.replay`): directories only, the cache on, no ``--diff``, not a terminal."""
    recorder = click.get_current_context().find_root().obj
    if not isinstance(recorder, Recorder) or no_cache or diff_ref is not None:
        return None
    if not all(os.path.isdir(p) for p in paths) or sys.stdout.isatty():
        return None
    return recorder
