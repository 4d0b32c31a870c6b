"""The library entry points the CLI calls: gather files, build the history, lint."""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Config
from .engine import FILE_COST, History, LintResult, lint_histories, merge_results
from .layouts import (
    MigrationUnit,
    PlannedFile,
    detect_layout,
    migration_units,
    order_units,
    plan_files,
    read_units,
)
from .registry import load_rules
from .rule import Rule
from .source import Source, SourceError, natural_key, read_stdin

if TYPE_CHECKING:
    from .cache import ResultCache

STDIN = "-"


@dataclass(frozen=True, slots=True)
class Inputs:
    """What to lint and what only builds the schema model, in history order."""

    ordered: tuple[str, ...]  # every file, history order
    report: frozenset[str]  # the files whose findings are reported
    stdin_name: str | None = None
    # the migration units of ``ordered`` (a file may give an up and a down unit)
    units: tuple[MigrationUnit | SourceError, ...] = ()
    baseline: tuple[MigrationUnit | SourceError, ...] = ()  # --schema, applied first
    skipped: tuple[PlannedFile, ...] = ()  # named files their layout does not run


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


def gather(paths: Sequence[str], config: Config, stdin_name: str | None = None) -> Inputs:
    """Expand directories into migration units (per layout), add the configured history."""
    exclude = config.settings.exclude
    named = [p for p in paths if p != STDIN]
    default_tx = _default_tx(config)
    layout = config.layout
    history: list[MigrationUnit | SourceError] = []
    if config.history:
        root = Path(config.history)
        if not root.is_absolute():
            root = config.root / root
        if root.is_dir():
            layout = layout or detect_layout(root)
            history = migration_units(
                [_display(str(root))], layout, exclude=exclude, default_tx=default_tx
            )
    skipped: list[PlannedFile] = []
    found = migration_units(named, layout, exclude=exclude, default_tx=default_tx, skipped=skipped)
    report = {os.path.normpath(u.path) for u in found}
    named_ids = {_ident(u.path) for u in found}
    merged = [u for u in history if _ident(u.path) not in named_ids]
    units = [u for u in [*merged, *found] if isinstance(u, MigrationUnit)]
    if _one_database(paths, config):
        # one database: the configured history, the --schema baseline or stdin join it
        units = [replace(u, history="") for u in units]
    units = order_units(units)
    errors = [u for u in [*merged, *found] if isinstance(u, SourceError)]
    if report and history:
        # units after the last reported one cannot change any reported finding
        kept = [i for i, u in enumerate(units) if os.path.normpath(u.path) in report]
        units = units[: max(kept) + 1] if kept else []
    ordered = tuple(dict.fromkeys(os.path.normpath(u.path) for u in units))
    return Inputs(
        ordered,
        frozenset(report),
        stdin_name if STDIN in paths else None,
        (*units, *errors),
        tuple(
            replace(u, history="") if isinstance(u, MigrationUnit) else u for u in _baseline(config)
        ),
        tuple(skipped),
    )


def read_inputs(inputs: Inputs) -> list[Source | SourceError]:
    sources: list[Source | SourceError] = []
    for unit in (*inputs.baseline, *inputs.units):
        sources.append(unit.source() if isinstance(unit, MigrationUnit) else unit)
    if inputs.stdin_name is not None:
        sources.append(read_stdin(inputs.stdin_name))
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
) -> LintResult:
    """Lint *paths* as one history.

    *only* and *edited* hold absolute paths (``--diff``): report only those files (the
    others are context), and mark *edited* ones as changed after being applied. *cache*
    serves unchanged results (ignored when *explain* is set).
    """
    rules = rules if rules is not None else load_rules()
    use_cache = cache is not None and not explain
    run: str | None = None
    base = ""
    if cache is not None and use_cache:
        from .cache import run_key

        base = cache.base_key(rules, config.settings)
        run = run_key(
            base,
            paths,
            history_paths(config),
            (
                stdin_name,
                config.layout,
                config.history,
                str(config.root),
                config.baseline,
                sorted(config.explicit),
                sorted(only) if only is not None else None,
                sorted(edited),
            ),
        )
        if run is not None:
            hit = cache.load_run(base, run)
            if hit is not None:
                return hit
    if not use_cache and not explain and not _one_database(paths, config):
        return _lint_where_read(paths, config, rules, only, edited)
    inputs = gather(paths, config, stdin_name)
    sources = read_inputs(inputs)
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
    if cache is not None and run is not None:
        cache.store_run(base, run, result, chain, dropped)
    return result


def _one_database(paths: Sequence[str], config: Config) -> bool:
    """Everything is one history: the configured history, a --schema baseline or standard
    input join the named files (see :func:`gather`)."""
    return bool(config.history or config.baseline or STDIN in paths)


def _default_tx(config: Config) -> bool | None:
    """An explicit ``assume-in-transaction`` setting replaces the layouts' defaults."""
    if "assume-in-transaction" in config.explicit:
        return config.settings.assume_in_transaction
    return None


def _lint_where_read(
    paths: Sequence[str],
    config: Config,
    rules: Sequence[Rule],
    only: Collection[str] | None,
    edited: Collection[str],
) -> LintResult:
    """:func:`lint_paths` without a cache, for several histories: each history's files are
    read by the process that lints it (the result is the same as through :func:`gather`)."""
    planned = plan_files(paths, config.layout, exclude=config.settings.exclude)
    report = {os.path.normpath(p.display) for p in planned}
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
            return [u.source() if isinstance(u, MigrationUnit) else u for u in units]

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
