"""What ``sqlsafe lint`` does, without click: :mod:`linter.commands.lint` is its click
command, and :func:`fast_lint` runs the common command lines (paths, ``--format``,
``--no-cache``, ``--stdin-filename``) without importing click (~20 ms of a one-file run).

Anything else on the command line (another option, ``--help``, ``--``), and any usage
error, goes to the click command, which prints what it always printed.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..output.replay import Recorder
from .configure import UsageProblem

FORMATS = ("text", "json", "sarif", "github", "gitlab", "junit", "gcc", "markdown")
STDIN_NAME = "<stdin>"  # --stdin-filename's default
# what click passes for the options :func:`fast_arguments` does not read
DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(("fail_on", "diff_ref", "baseline_file", "stats_file", "config_file")),
    **dict.fromkeys(("target_version", "assume_in_transaction", "layout")),
    **dict.fromkeys(("select", "ignore", "exclude", "schema_files"), ()),
    "no_history": False,
    "django_settings": None,
}


def run_lint(
    paths: tuple[str, ...],
    output_format: str,
    stdin_filename: str,
    fail_on: str | None,
    diff_ref: str | None,
    baseline_file: str | None,
    no_cache: bool,
    stats_file: str | None,
    recorder: Recorder | None,
    django_settings: str | None = None,
    **options: Any,
) -> int:
    """Lint *paths* and print the report; the exit code. Raises :class:`UsageProblem`.

    *recorder* stores the output for a replay (:mod:`linter.replay`) when the run can be
    replayed; *options* are the settings options (:func:`configure.make_config`)."""
    from ..analysis.registry import RegistryError, load_rules
    from ..api import framework_options, history_paths, lint_paths, list_roots
    from ..inputs.config import known_names, unknown_rule
    from ..inputs.configsearch import config_candidates
    from ..inputs.layouts import Detector
    from ..rule import Severity
    from ..util.collector import lint_pace
    from .configure import make_config

    if not paths:
        raise UsageProblem("no files given: pass migration files, directories, or - for stdin")
    config = make_config(fail_on=fail_on, **options)
    if django_settings:
        config = replace(config, django_settings=django_settings)
    try:
        rules = load_rules()
    except RegistryError as exc:
        raise UsageProblem(str(exc)) from exc
    problem = unknown_rule(config, known_names(rules))
    if problem is not None:
        raise UsageProblem(problem)
    baseline = None
    if baseline_file is not None:
        from ..output.baseline import BaselineError, load_baseline

        try:
            baseline = load_baseline(Path(baseline_file))
        except BaselineError as exc:
            raise UsageProblem(str(exc)) from exc
    only = edited = added = None
    if diff_ref is not None:
        from ..inputs.gitdiff import GitError, changed_files

        try:
            changes = changed_files(diff_ref)
        except GitError as exc:
            raise UsageProblem(f"--diff {diff_ref}: {exc}") from exc
        only, edited, added = changes.changed, changes.modified, changes.added
    from ..output.reporters import NEEDS_STATEMENTS, get_reporter

    recorder = _replayable(recorder, paths, no_cache, diff_ref)
    # (for a replay of a run over files: the directories their layouts were detected in)
    files_named = recorder is not None and not all(os.path.isdir(p) for p in paths)
    detector = Detector(framework_options(config)) if files_named else None
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
            detector=detector,
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
            raise UsageProblem(str(exc)) from exc
    for note in result.notes:  # (Python migrations read statically: said once, on stderr)
        sys.stderr.write(f"sqlsafe: {note}\n")
        sys.stderr.flush()
    if result.notes:  # (a replay prints the stored standard output only)
        recorder = None
    out = io.StringIO() if recorder is not None else sys.stdout
    get_reporter(output_format).report(result, rules, out)
    threshold = Severity(config.settings.fail_on).rank
    failing = any(f.severity.rank >= threshold for f in result.findings)
    code = 1 if failing or result.errors else 0
    if recorder is not None and isinstance(out, io.StringIO):
        text = out.getvalue()
        sys.stdout.write(text)
        named = [p for p in paths if not os.path.isdir(p)]
        named_set = frozenset(named)  # (a file list names thousands)
        listed = (
            sorted({str(d) for d in (*detector.listings, *detector.layouts)}) if detector else []
        )
        # (the trees a file list's result is keyed by: a run answered from the result
        # cache lists no directory, see ``api.list_roots``)
        listed.extend(list_roots([p for p in named if p != "-" and not p.endswith(".py")]))
        recorder.store(
            text,
            code,
            directories=[
                *(p for p in paths if p not in named_set),
                *listed,
                *history_paths(config),
            ],
            files=[
                *named,
                *config_candidates(Path.cwd().resolve()),
                *(str(p) for p in (config.path, baseline_file, stats_file) if p),
            ],
        )
    return code


def _replayable(
    recorder: Recorder | None, paths: tuple[str, ...], no_cache: bool, diff_ref: str | None
) -> Recorder | None:
    """*recorder* when the run's output can be replayed (see :mod:`linter.replay`): files
    and directories, not standard input, the cache on, no ``--diff``, not a terminal."""
    if recorder is None or no_cache or diff_ref is not None:
        return None
    if "-" in paths or sys.stdout.isatty():
        return None
    return recorder


def fast_arguments(argv: Sequence[str]) -> dict[str, Any] | None:
    """The keyword arguments of :func:`run_lint` for ``lint PATH... [--format F]
    [--no-cache] [--stdin-filename NAME]`` (each option at most once, anywhere); ``None``
    for any other command line (click parses it)."""
    if not argv or argv[0] != "lint":
        return None
    paths: list[str] = []
    values: dict[str, str] = {}
    no_cache = False
    args = list(argv[1:])
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "-" or not arg.startswith("-"):
            paths.append(arg)
        elif arg == "--no-cache" and not no_cache:
            no_cache = True
        else:
            name, equals, value = arg.partition("=")
            if name not in ("--format", "--stdin-filename") or name in values:
                return None
            if not equals:
                if i >= len(args) or args[i].startswith("-"):
                    return None
                value, i = args[i], i + 1
            values[name] = value
    output_format = values.get("--format", "text")
    if output_format not in FORMATS:
        return None
    return {
        "paths": tuple(paths),
        "output_format": output_format,
        "stdin_filename": values.get("--stdin-filename", STDIN_NAME),
        "no_cache": no_cache,
    }


def fast_lint(argv: Sequence[str], recorder: Recorder | None) -> int | None:
    """Run ``sqlsafe ARGV`` without click when :func:`fast_arguments` reads it; ``None``
    when click must (another command line, or a usage error for click to print)."""
    arguments = fast_arguments(argv)
    if arguments is None:
        return None
    try:
        return run_lint(**arguments, **DEFAULTS, recorder=recorder)
    except UsageProblem:
        return None
    except (EOFError, KeyboardInterrupt):  # (as click reports them)
        sys.stderr.write("\nAborted.\n")
        return 2
    except BrokenPipeError:  # (as click ends then: exit code 1, nothing more written)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
