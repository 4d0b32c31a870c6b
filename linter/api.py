"""The library entry points the CLI calls: gather files, build the history, lint."""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from .analysis.engine import FILE_COST, History, LintResult, lint_histories, merge_results
from .analysis.registry import load_rules
from .inputs.config import Config
from .inputs.layouts import (
    PER_DIRECTORY_NAMES,
    PYTHON_LAYOUTS,
    Detector,
    MigrationUnit,
    PlannedFile,
    detect_layout,
    history_directories,
    history_directory,
    history_root_name,
    migration_units,
    order_units,
    plan_files,
    read_units,
    units_of_text,
)
from .inputs.source import Source, SourceError, is_excluded, natural_key, read_stdin
from .rule import Rule
from .util.records import record

if TYPE_CHECKING:
    from .inputs.frameworks.store import OpenStore, RenderStore
    from .output.cache import ResultCache

STDIN = "-"
STDIN_NAME = "<stdin>"  # the name standard input is reported under by default


@record
class Inputs:
    """What to lint and what only builds the schema model, in history order."""

    ordered: tuple[str, ...]  # every file, history order
    report: frozenset[str]  # the files whose findings are reported
    stdin_name: str | None = None
    # the migration units of ``ordered`` (a file may give an up and a down unit)
    units: tuple[MigrationUnit | SourceError, ...] = ()
    baseline: tuple[MigrationUnit | SourceError, ...] = ()  # --schema, applied first
    skipped: tuple[PlannedFile, ...] = ()  # named files their layout does not run
    stdin_text: str | None = None  # the text read on standard input (for the snippets)
    notes: tuple[str, ...] = ()  # Python migrations read statically, and why


def _display(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def _ident(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


def _baseline(config: Config) -> list[MigrationUnit | SourceError]:
    """``--schema`` files (a dump: plain) and directories (their detected layout)."""
    out: list[MigrationUnit | SourceError] = []
    for name in config.baseline:
        shown = _display(name)
        if Path(name).is_dir():
            out.extend(migration_units([shown], config.layout))
        else:
            out.extend(migration_units([shown], "plain"))
    return out


def gather(
    paths: Sequence[str],
    config: Config,
    stdin_name: str | None = None,
    buffers: Mapping[str, str] | None = None,
    render_cache: OpenStore | None = None,
    detector: Detector | None = None,
) -> Inputs:
    """Expand directories into migration units (per layout), add the history: the configured
    one, or else the earlier files of each migrations directory a file named alone (or
    standard input's ``--stdin-filename``) sits in (see :func:`implicit_roots`); standard
    input is read here. Python migrations are rendered, cached in *render_cache*.

    *buffers* (absolute path -> text: an editor's unsaved buffers) replace what the disk
    holds for those files of the history, and for standard input when it names one."""
    exclude = config.settings.exclude
    named = [p for p in paths if p != STDIN]
    default_tx = _default_tx(config)
    layout = config.layout
    # each directory listed and its layout detected once
    detector = detector or Detector(framework_options(config))
    history: list[MigrationUnit | SourceError] = []
    stdin_path = stdin_name if STDIN in paths else None
    if config.history:
        root = Path(config.history)
        if not root.is_absolute():
            root = config.root / root
        if root.is_dir():
            layout = layout or detect_layout(root)
            history = migration_units(
                [_display(str(root))],
                layout,
                exclude=exclude,
                default_tx=default_tx,
                render_cache=render_cache,
            )
    elif stdin_path is None and _files_only(named):
        # files named (pre-commit, an editor, xargs): each read once, as its directory's
        # history reads it (see :func:`plan_named_files`)
        plan = plan_named_files(named, config, detector)
        return _gathered(paths, config, plan, render_cache, detector)
    else:
        history = _implicit_history(
            implicit_roots(paths, config, stdin_path, detector), config, detector, render_cache
        )
    if buffers:
        history = _with_buffers(history, buffers, config)
    skipped: list[PlannedFile] = []
    found = migration_units(
        named,
        layout,
        exclude=exclude,
        default_tx=default_tx,
        skipped=skipped,
        detector=detector,
        render_cache=render_cache,
    )
    report = {os.path.normpath(u.path) for u in found}
    named_ids = {_ident(u.path) for u in found}
    stdin_units: list[MigrationUnit | SourceError] = []
    stdin_text: str | None = None
    if stdin_path is not None:
        buffer = buffers.get(_ident(stdin_path)) if buffers else None
        stdin_units, stdin_text = _stdin_units(stdin_path, history, config, detector, buffer)
        named_ids.add(_ident(stdin_path))
        report.add(os.path.normpath(stdin_path))
    merged = [u for u in history if _ident(u.path) not in named_ids]
    units = [u for u in [*merged, *found] if isinstance(u, MigrationUnit)]
    units.extend(u for u in stdin_units if isinstance(u, MigrationUnit) and u.history)
    if _one_database(paths, config):
        # one database: the configured history, the --schema baseline or stdin join it
        units = [replace(u, history="") for u in units]
    units = order_units(units)
    # standard input without a history of its own is the last file
    units.extend(u for u in stdin_units if isinstance(u, MigrationUnit) and not u.history)
    errors = [u for u in [*merged, *found, *stdin_units] if isinstance(u, SourceError)]
    if report and history and config.history:
        # (the files after a file named alone are read as they would be with its directory
        # named: a later migration may answer one of its findings, see linter.state.deferred)
        units = _until_last_reported(units, report)
    ordered = tuple(dict.fromkeys(os.path.normpath(u.path) for u in units))
    return Inputs(
        ordered,
        frozenset(report),
        stdin_path,
        (*units, *errors),
        tuple(
            replace(u, history="") if isinstance(u, MigrationUnit) else u for u in _baseline(config)
        ),
        tuple(skipped),
        stdin_text,
        _static_notes(units),
    )


@record
class NamedPlan:
    """The files to read for files named on the command line (:func:`plan_named_files`)."""

    planned: tuple[PlannedFile, ...]  # every file to read: the histories and the named files
    report: frozenset[str]  # the named files' display names
    skipped: tuple[PlannedFile, ...]  # named files their layout does not run


def _files_only(named: Sequence[str]) -> bool:
    """Only files are named, none of them a Python migration (those are rendered with
    their history by :func:`gather`'s general path)."""
    return bool(named) and not any(os.path.isdir(p) or p.endswith(".py") for p in named)


def plan_named_files(
    named: Sequence[str], config: Config, detector: Detector | None = None
) -> NamedPlan:
    """The files to read for the files *named* (no directory, Python file or standard
    input: :func:`_files_only`; no configured history), without reading them.

    Every migrations directory a named file sits in (:func:`implicit_roots`) is planned
    once, as naming the directory plans it; a named file found there is read from that
    plan, once, and reported (so ``lint f1 ... fN`` reads and runs each file as ``lint
    DIR`` does). Named files outside those plans are planned one by one
    (:func:`layouts.plan_files`)."""
    detector = detector or Detector()
    exclude = config.settings.exclude
    roots = implicit_roots(named, config, None, detector, no_directory=True)
    wanted = set(roots)
    history_skipped: list[PlannedFile] = []
    history = [
        p
        for p in plan_files(
            roots, config.layout, exclude=exclude, skipped=history_skipped, detector=detector
        )
        if p.history in wanted and not p.problem
    ]
    by_ident = {os.path.normcase(p.absolute): p for p in history}
    skipped_by_ident = {
        os.path.normcase(p.absolute): p for p in history_skipped if p.history in wanted
    }
    report: dict[str, None] = {}
    skipped: list[PlannedFile] = []
    alone: list[str] = []
    replaced: set[str] = set()  # named files the history plan names differently
    for name in named:
        if is_excluded(name, exclude):
            continue
        ident = _ident(name)
        shown = os.path.normpath(name)
        planned = by_ident.get(ident)
        if planned is not None and planned.display == shown:
            report[shown] = None
            continue
        passed = skipped_by_ident.get(ident)
        if passed is not None and passed.display == shown:
            skipped.append(passed)
            continue
        if planned is not None or passed is not None:
            replaced.add(ident)
        alone.append(name)
    own = (
        plan_files(alone, config.layout, exclude=exclude, skipped=skipped, detector=detector)
        if alone
        else []
    )
    report.update((os.path.normpath(p.display), None) for p in own)
    taken = {os.path.normcase(p.absolute) for p in own} | replaced
    planned_all = [p for p in history if os.path.normcase(p.absolute) not in taken]
    return NamedPlan((*planned_all, *own), frozenset(report), tuple(skipped))


def _gathered(
    paths: Sequence[str],
    config: Config,
    plan: NamedPlan,
    render_cache: OpenStore | None,
    detector: Detector,
) -> Inputs:
    """:class:`Inputs` of the files named (see :func:`plan_named_files`), as
    :func:`gather` builds them."""
    read = read_units(plan.planned, _default_tx(config), render_cache, detector)
    units = [u for u in read if isinstance(u, MigrationUnit)]
    errors = [u for u in read if isinstance(u, SourceError)]
    if _one_database(paths, config):
        units = order_units([replace(u, history="") for u in units])
    ordered = tuple(dict.fromkeys(os.path.normpath(u.path) for u in units))
    return Inputs(
        ordered,
        plan.report,
        None,
        (*units, *errors),
        tuple(
            replace(u, history="") if isinstance(u, MigrationUnit) else u for u in _baseline(config)
        ),
        plan.skipped,
        None,
        _static_notes(units),
    )


def _static_notes(units: Sequence[MigrationUnit]) -> tuple[str, ...]:
    """One line per reason for the Python migrations read statically (none: no import)."""
    static = [u for u in units if u.static_reason and u.direction == "up"]
    if not static:
        return ()
    from .inputs.frameworks import static_notes

    by_layout: dict[str, list[tuple[str, str]]] = {}
    for unit in static:
        by_layout.setdefault(unit.layout, []).append((unit.path, unit.static_reason))
    return tuple(n for layout, pairs in by_layout.items() for n in static_notes(layout, pairs))


def implicit_roots(
    paths: Sequence[str],
    config: Config,
    stdin_name: str | None = None,
    detector: Detector | None = None,
    *,
    no_directory: bool = False,
) -> list[str]:
    """The migrations directories whose files are read as history for the files of *paths*
    named alone, and for standard input named *stdin_name* (``--stdin-filename``): one per
    file in a directory layout detection recognises (:func:`layouts.history_directory`);
    none with a configured ``history``, with ``--no-history``, or for named directories
    (their files are their own history). *no_directory*: the caller knows that none of
    *paths* is a directory or a Python file (see :func:`_files_only`)."""
    if config.history or not config.implicit_history:
        return []
    # (with *no_directory*, each name is looked at only once a directory it would pull in
    # is found, below: a file list names thousands, in a few dozen directories)
    files = [p for p in paths if p != STDIN and (no_directory or os.path.isfile(p))]
    if stdin_name is not None and stdin_name != STDIN_NAME:
        files.append(stdin_name)
    exclude = config.settings.exclude
    files = [name for name in files if not is_excluded(name, exclude)]
    roots: dict[str, None] = {}
    for name, root in zip(files, history_directories(files, config.layout, detector), strict=True):
        if root is None:
            continue
        key = os.path.normpath(root)
        if key not in roots and (name is stdin_name or os.path.isfile(name)):
            roots[key] = None
    return list(roots)


def framework_options(config: Config) -> dict[str, dict[str, object]]:
    """The options of the Python frameworks' readers (``--django-settings``)."""
    if config.django_settings:
        return {"django": {"settings_module": config.django_settings}}
    return {}


def _implicit_history(
    roots: Sequence[str],
    config: Config,
    detector: Detector | None = None,
    render_cache: OpenStore | None = None,
) -> list[MigrationUnit | SourceError]:
    """The units of each of *roots*, their own history only (not the other migrations
    directories below them, nor their problems: nothing of them is reported)."""
    if not roots:
        return []
    wanted = set(roots)
    planned = plan_files(roots, config.layout, exclude=config.settings.exclude, detector=detector)
    return read_units(
        [p for p in planned if p.history in wanted and not p.problem],
        _default_tx(config),
        render_cache,
        detector,
    )


def _stdin_units(
    name: str,
    history: Sequence[MigrationUnit | SourceError],
    config: Config,
    detector: Detector | None = None,
    text: str | None = None,
) -> tuple[list[MigrationUnit | SourceError], str | None]:
    """Standard input (or *text*, when given) as the file *name*: in the history of its
    directory when one was read (ordered and run as that directory's layout runs the file),
    else a plain last file; with the text read (the units of a goose or dbmate file blank
    each other's section)."""
    read = read_stdin(name) if text is None else Source(name, text)
    if isinstance(read, SourceError):
        return [read], None
    if name.endswith(".py"):  # (a Python migration is rendered from its file, not its text)
        why = "a Python migration is read from its file: name the file instead of using -"
        return [SourceError(name, why)], None
    roots = {u.history for u in history if isinstance(u, MigrationUnit)}
    home = history_directory(Path(name), config.layout, detector) if roots else None
    if home is None or os.path.normpath(home) not in roots:
        return [MigrationUnit(read.path, read.text)], read.text
    units = units_of_text(
        read, config.layout, os.path.normpath(home), _default_tx(config), detector
    )
    return list(units), read.text


def _with_buffers(
    history: Sequence[MigrationUnit | SourceError], buffers: Mapping[str, str], config: Config
) -> list[MigrationUnit | SourceError]:
    """*history* with the units of the files in *buffers* made from the buffer's text, as
    :func:`_stdin_units` makes standard input's (in the runner's order again)."""
    units: list[MigrationUnit] = []
    errors: list[SourceError] = []
    done: set[str] = set()
    for unit in history:
        if isinstance(unit, SourceError):
            errors.append(unit)
            continue
        ident = _ident(unit.path)
        if ident not in buffers:
            units.append(unit)
        elif ident not in done:
            done.add(ident)
            source = Source(unit.path, buffers[ident])
            units.extend(units_of_text(source, config.layout, unit.history, _default_tx(config)))
    if not done:
        return list(history)
    return [*order_units(units), *errors]


def _until_last_reported(
    units: Sequence[MigrationUnit], report: Collection[str]
) -> list[MigrationUnit]:
    """*units* without those after the last reported unit of their history: they cannot
    change any reported finding (a history without a reported unit is dropped)."""
    last: dict[str, int] = {}
    for i, unit in enumerate(units):
        if os.path.normpath(unit.path) in report:
            last[unit.history] = i
    return [u for i, u in enumerate(units) if i <= last.get(u.history, -1)]


def read_inputs(inputs: Inputs) -> list[Source | SourceError]:
    sources: list[Source | SourceError] = []
    for unit in (*inputs.baseline, *inputs.units):
        sources.append(unit.source() if isinstance(unit, MigrationUnit) else unit)
    return sources


def lint_paths(
    paths: Sequence[str],
    config: Config,
    *,
    rules: tuple[Rule, ...] | None = None,
    stdin_name: str = "<stdin>",
    explain: bool = False,
    only: Collection[str] | None = None,
    edited: Collection[str] = (),
    cache: ResultCache | None = None,
    added: Collection[str] = (),
    detector: Detector | None = None,
    buffers: Mapping[str, str] | None = None,
) -> LintResult:
    """Lint *paths* as one history.

    *buffers* (absolute path -> text) are read instead of those files (an editor's
    buffers: see :func:`gather`); no cache is used with them.

    *only*, *edited* and *added* hold absolute paths (``--diff``): report only those files
    (the others are context), mark *edited* ones as changed after being applied, and
    *added* ones as deployed with the change's other files (what the files added before
    them create is new; see ``Config.new_in_change``). *cache* serves unchanged results
    (ignored when *explain* is set). *detector*, when given, is the one that lists the
    directories the named files' layouts and histories are found in (``Detector.listings``:
    what a replay of the run must stamp).
    """
    added = added if config.new_in_change else ()
    rules = rules if rules is not None else load_rules()
    use_cache = cache is not None and not explain and not buffers
    run: str | None = None
    base = ""
    if cache is not None and use_cache:
        from .output.cache import files_run_key, run_key

        base = cache.base_key(rules, config.settings)
        extra = (
            stdin_name,
            config.layout,
            config.history,
            str(config.root),
            config.baseline,
            sorted(config.explicit),
            sorted(only) if only is not None else None,
            sorted(edited),
            sorted(added),
        )
        run = run_key(base, paths, history_paths(config), extra)
        if run is None and STDIN not in paths and _files_only(paths) and _plain_names(paths):
            # (a file list: answered as its directory is, see :func:`list_roots`)
            run = files_run_key(
                base,
                paths,
                list_roots(paths),
                history_paths(config),
                (*extra, config.implicit_history, config.new_in_change),
            )
        if run is not None:
            hit = cache.load_run(base, run)
            if hit is not None:
                return hit
    if not use_cache and not explain and not buffers and _several_histories(paths, config):
        planned = plan_files(paths, config.layout, exclude=config.settings.exclude)
        if not any(p.layout in PYTHON_LAYOUTS for p in planned):
            named = {os.path.normpath(p.display) for p in planned}
            return _lint_where_read(planned, named, config, rules, only, edited, added)
    if not use_cache and not explain and not buffers and _named_files_apart(paths, config):
        plan = plan_named_files(paths, config, detector)
        if not any(p.layout in PYTHON_LAYOUTS for p in plan.planned):
            return _lint_where_read(plan.planned, plan.report, config, rules, only, edited, added)
    inputs = gather(paths, config, stdin_name, buffers, _render_stores(cache), detector)
    sources = in_change(read_inputs(inputs), added)
    report = set(inputs.report)
    if only is not None:
        report = {p for p in report if _ident(p) in only}
    if inputs.stdin_name is not None:
        report.add(inputs.stdin_name)
    marked = {s.path for s in sources if edited and _ident(s.path) in edited}
    chain: list[bytes] = []
    dropped: list[int] = []
    histories = split_sources(sources)
    if cache is not None and use_cache:
        result = cache.lint_histories(
            histories,
            rules,
            config.settings,
            report=report,
            edited=marked,
            base=base,
            reported_chain=chain,
            dropped=dropped,
        )
    else:
        result = merge_results(
            lint_histories(
                [History(h) for h in histories],
                rules,
                config.settings,
                report=report,
                explain=explain,
                edited=marked,
            )
        )
    baseline = {u.path for u in inputs.baseline}
    result.errors = [e for e in result.errors if e.path in report or e.path in baseline]
    if inputs.stdin_name is not None and inputs.stdin_text is not None:
        result.texts[inputs.stdin_name] = inputs.stdin_text  # not the lines of a file on disk
    result.notes = list(inputs.notes)
    if cache is not None and run is not None:
        cache.store_run(base, run, result, chain, dropped)
    return result


def _plain_names(paths: Sequence[str]) -> bool:
    """No name goes up a directory (``a/../b``: through a link, not where ``a/..`` is
    read as a string): :func:`list_roots` finds the directories they lie in."""
    return not any(".." in p for p in paths)


def list_roots(paths: Sequence[str]) -> set[str]:
    """Directories whose trees hold everything the files *paths* (SQL files named one by
    one) are linted from: each file's :func:`layouts.history_root_name` (absolute).

    Those hold the file, the migrations directory it may read as history
    (:func:`implicit_roots`: that directory or nothing) and the directories its layout is
    detected in (its own, and the one above when its own holds one migration:
    ``layouts.layout_for``), all at or below that root."""
    roots: set[str] = set()
    seen: set[tuple[str, bool]] = set()  # (directory, per-directory name): one climb each
    cwd = os.getcwd()
    for name in paths:
        absolute = os.path.normpath(os.path.join(cwd, name))  # (``abspath``, one getcwd)
        directory, base = os.path.split(absolute)
        key = (directory, base in PER_DIRECTORY_NAMES)
        if key not in seen:
            seen.add(key)
            roots.add(history_root_name(absolute))
    return roots


def _render_stores(cache: ResultCache | None) -> OpenStore | None:
    """How Python migrations' renderings are kept in the cache directory of *cache* (the
    store's module is imported only when a Python migration is rendered)."""
    if cache is None:
        return None
    directory = cache.directory

    def open_store(name: str) -> RenderStore:
        from .output.rendercache import RenderCache

        return RenderCache(directory, name)

    return open_store


def _one_database(paths: Sequence[str], config: Config) -> bool:
    """Everything is one history: the configured history, a --schema baseline or standard
    input join the named files (see :func:`gather`)."""
    return bool(config.history or config.baseline or STDIN in paths)


def in_change(
    sources: Sequence[Source | SourceError], added: Collection[str]
) -> list[Source | SourceError]:
    """*sources*, those whose absolute path is in *added* marked as added by the change."""
    if not added:
        return list(sources)
    return [
        replace(s, in_change=True) if isinstance(s, Source) and _ident(s.path) in added else s
        for s in sources
    ]


def _several_histories(paths: Sequence[str], config: Config) -> bool:
    """Only directories are named, each its own history (see :func:`_lint_where_read`);
    a file named alone may read its directory's history (:func:`gather`)."""
    return not _one_database(paths, config) and all(os.path.isdir(p) for p in paths)


def _named_files_apart(paths: Sequence[str], config: Config) -> bool:
    """Only files are named, each in its own directory's history (see
    :func:`plan_named_files`)."""
    return not _one_database(paths, config) and _files_only(paths)


def _default_tx(config: Config) -> bool | None:
    """An explicit ``assume-in-transaction`` setting replaces the layouts' defaults."""
    if "assume-in-transaction" in config.explicit:
        return config.settings.assume_in_transaction
    return None


def _lint_where_read(
    planned: Sequence[PlannedFile],
    named: Collection[str],
    config: Config,
    rules: Sequence[Rule],
    only: Collection[str] | None,
    edited: Collection[str],
    added: Collection[str] = (),
) -> LintResult:
    """:func:`lint_paths` without a cache, for the *planned* files of several histories
    (the files *named* reported): each history's files are read by the process that
    lints it (the result is the same as through :func:`gather`)."""
    report = set(named)
    if only is not None:
        report = {p for p in report if _ident(p) in only}
    marked = {p.display for p in planned if edited and _ident(p.display) in edited}
    groups: dict[str, list[PlannedFile]] = {}
    for item in planned:
        groups.setdefault(item.history, []).append(item)
    default_tx = _default_tx(config)

    def history(files: list[PlannedFile]) -> History:
        def load() -> list[Source | SourceError]:
            units = read_units(files, default_tx)
            return in_change(
                [u.source() if isinstance(u, MigrationUnit) else u for u in units], added
            )

        return History(load=load, size=sum(_file_size(p.display) for p in files))

    result = merge_results(
        lint_histories(
            [history(groups[root]) for root in sorted(groups, key=natural_key)],
            rules,
            config.settings,
            report=report,
            edited=marked,
        )
    )
    result.errors = sorted(
        (e for e in result.errors if e.path in report), key=lambda e: natural_key(e.path)
    )
    return result


def _file_size(path: str) -> int:
    try:
        return os.stat(path).st_size + FILE_COST
    except OSError:
        return 0


def describe_histories(paths: Sequence[str], config: Config) -> dict[str, object]:
    """How sqlsafe reads *paths*: each history's directory and layout, and its migration
    units in the order they are applied (``sqlsafe histories``); no file is parsed."""
    inputs = gather(paths, config)
    default = config.settings.assume_in_transaction
    histories: dict[str, dict[str, object]] = {}
    errors: list[dict[str, str]] = []

    def entry_of(history: str) -> dict[str, object]:
        return histories.setdefault(
            history, {"root": history, "layouts": [], "units": [], "skipped": []}
        )

    for unit in inputs.units:
        if isinstance(unit, SourceError):
            errors.append({"path": unit.path, "reason": unit.reason})
            continue
        entry = entry_of(unit.history)
        layouts = entry["layouts"]
        assert isinstance(layouts, list)
        if unit.layout not in layouts:
            layouts.append(unit.layout)
        tx = default if unit.in_transaction is None else unit.in_transaction
        units = entry["units"]
        assert isinstance(units, list)
        units.append(
            {
                "path": unit.path,
                "direction": unit.direction,
                "applied": unit.applies,
                "transaction": "one query" if unit.single_query else ("yes" if tx else "no"),
                "transaction_from_comment": unit.tx_from_comment,
            }
        )
    one = _one_database(paths, config)
    for item in inputs.skipped:  # files the layout does not run: say so rather than hide them
        entry = entry_of("" if one else item.history)
        listed, layouts = entry["skipped"], entry["layouts"]
        assert isinstance(listed, list) and isinstance(layouts, list)
        if item.layout not in layouts:
            layouts.append(item.layout)
        listed.append({"path": item.display, "layout": item.layout, "why": item.role.why_skipped})
    return {"histories": list(histories.values()), "errors": errors}


def split_sources(sources: Sequence[Source | SourceError]) -> list[list[Source | SourceError]]:
    """*sources* grouped by history (``Source.history``), in order of first appearance;
    files that could not be read join the history of the file before them."""
    groups: dict[str, list[Source | SourceError]] = {}
    current = ""
    for source in sources:
        if isinstance(source, Source):
            current = source.history
        groups.setdefault(current, []).append(source)
    return list(groups.values())


def history_paths(config: Config) -> list[str]:
    """The files and directories other than the named paths that :func:`gather` reads."""
    out: list[str] = []
    if config.history:
        root = Path(config.history)
        out.append(str(root if root.is_absolute() else config.root / root))
    out.extend(config.baseline)
    return out
