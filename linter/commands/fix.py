"""``sqlsafe fix``: rewrite the findings that have a mechanical fix (diff, or write)."""

from __future__ import annotations

import difflib
import os
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import click

from ..analysis.registry import RegistryError, load_rules
from ..api import gather
from ..inputs.layouts import PYTHON_LAYOUTS, MigrationUnit, history_root
from ..inputs.source import Source, SourceError
from ..util.atomic import Put, WriteError, directory_lock, os_error, write_all
from ..util.records import record
from ..writers.fix_order import HistoryOrder, migration_folder, place_steps
from ..writers.scaffold import DEFAULT_LOCK_TIMEOUT, timeouts
from ..writers.scaffold_sql import InvalidInput
from .options import (
    build_config,
    check_rule_names,
    known_names,
    refuse_stdin,
    settings_options,
)

_BOM = "\ufeff"
_APPLIED = (
    "a migration that later ones follow is usually applied already, and a database that "
    "applied it keeps what it ran (see edited-applied-migration)"
)


@record
class _Change:
    path: Path
    before: str
    after: str
    new_file: bool = False


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8-sig", errors="strict")


@click.command()
@click.argument("paths", nargs=-1, type=str)
@settings_options
@click.option(
    "--diff/--write",
    "show_diff",
    default=True,
    help="--diff (default): print a unified diff of the changes, exit 1 if there are any. "
    "--write: apply them and write the new files.",
)
@click.option("--force", is_flag=True, help="With --write: overwrite new files that exist.")
@click.option(
    "--lock-timeout",
    default=None,
    metavar="DURATION",
    help=f"lock_timeout the fixes set (default: the `lock-timeout` config key, else "
    f"'{DEFAULT_LOCK_TIMEOUT}').",
)
def fix(
    paths: tuple[str, ...],
    show_diff: bool,
    force: bool,
    lock_timeout: str | None,
    **options: Any,
) -> int:
    """Rewrite what can be rewritten mechanically in migration FILES and directories.

    \b
    CREATE/DROP INDEX get CONCURRENTLY (moved to their own non-transactional migration
    when the file runs in a transaction); FOREIGN KEY and CHECK constraints are added
    NOT VALID and validated in a later transaction; SET NOT NULL goes through a validated
    CHECK (PostgreSQL 18: NOT NULL ... NOT VALID); a file that needs one gets
    `SET lock_timeout` after its leading comments. A file the runner sends as one query
    (golang-migrate, Prisma; dbmate, diesel without a transaction) gets no BEGIN/COMMIT:
    what needs its own transaction goes into new files. Everything else stays byte for byte;
    every finding left is listed on standard error.

    \b
    New files run right after the file they come from, before the next migration, in the
    runner's order; when the layout has no version there, the file is left as it is (exit
    1). A fixed file that later migrations follow is noted: it is usually applied already.
    """
    from ..writers.fixer import fix_unit

    if not paths:
        raise click.UsageError("no files given: pass migration files or directories")
    refuse_stdin(paths, "fix", "it edits files and writes new ones; name the migration files")
    config = build_config(**options)
    try:
        rules = load_rules()
        timeout, statement = timeouts(config.extra, lock_timeout)
    except (RegistryError, InvalidInput) as exc:
        raise click.UsageError(str(exc)) from exc
    check_rule_names(config, known_names(rules))
    inputs = gather(list(paths), config)
    baseline = [u.source() for u in inputs.baseline if isinstance(u, MigrationUnit)]
    history: list[Source] = list(baseline)
    current_history: str | None = None
    changes: list[_Change] = []
    orders: dict[tuple[Path, str], HistoryOrder] = {}
    failed = refused = False
    # what each migration directory holds before fix numbers new files in it
    listed = {
        folder: _names(folder)
        for folder in {migration_folder(u) for u in inputs.units if isinstance(u, MigrationUnit)}
    }
    for unit in inputs.units:
        if isinstance(unit, SourceError):
            click.echo(f"{unit.path}: {unit.reason}", err=True)
            failed = True
            continue
        source = unit.source()
        if unit.history != current_history:  # another migrations directory: another database
            history, current_history = list(baseline), unit.history
        if os.path.normpath(unit.path) not in inputs.report or not unit.applies:
            if unit.applies:
                history.append(source)
            continue
        if unit.layout in PYTHON_LAYOUTS:  # (its text is SQL rendered from the .py file)
            click.echo(
                f"{unit.path}: not fixed: sqlsafe fix does not rewrite {unit.layout} "
                "migrations (`sqlsafe lint` lists the findings; edit the operations by hand)",
                err=True,
            )
            history.append(source)
            refused = True
            continue
        path = Path(unit.path)
        real = _read(path)
        result = fix_unit(unit, history, rules, config.settings, (timeout, statement), real)
        history.append(source)
        for note in result.notes:
            click.echo(note, err=True)
        if not result.changed:
            continue
        root = Path(unit.history) if unit.history else history_root(path)
        if (root, unit.layout) not in orders:
            orders[root, unit.layout] = HistoryOrder.read(root, unit.layout)
        folder = migration_folder(unit)
        placement = place_steps(
            path, folder, result.new_steps, orders[root, unit.layout], timeout, statement
        )
        if placement.refusal is not None:
            click.echo(
                f"{path}: not fixed, left as it is: {placement.refusal}; {_APPLIED}", err=True
            )
            refused = True
            continue
        if placement.before is not None:
            after = os.path.relpath(placement.before, root)
            click.echo(f"{path}: note: fixed, and {after} follows it: {_APPLIED}", err=True)
        if result.fixed != real:
            changes.append(_Change(path, real, result.fixed))
        for out in placement.files:
            changes.append(_Change(folder / out.path, "", out.text, new_file=True))
    if show_diff:
        for change in changes:
            before = "/dev/null" if change.new_file else str(change.path)
            sys.stdout.writelines(
                difflib.unified_diff(
                    change.before.splitlines(keepends=True),
                    change.after.splitlines(keepends=True),
                    before,
                    str(change.path),
                )
            )
        return 1 if changes or failed or refused else 0
    try:
        _write(changes, force, listed)
    except WriteError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:  # an original gone, a directory that cannot be locked
        raise click.ClickException(str(os_error(exc, Path(".")))) from exc
    for change in changes:
        click.echo(f"{'wrote' if change.new_file else 'fixed'} {change.path}")
    return 2 if failed else 1 if refused else 0


def _names(folder: Path) -> frozenset[str]:
    """The visible entries of *folder* (hidden ones are editors' and writers' scratch)."""
    try:
        return frozenset(p.name for p in folder.iterdir() if not p.name.startswith("."))
    except OSError:
        return frozenset()


def _write(changes: list[_Change], force: bool, listed: dict[Path, frozenset[str]]) -> None:
    """Write every change or none (:func:`linter.util.atomic.write_all`): new files first, the
    originals last.  Under a lock on each migration directory, fix refuses to go on when a
    migration appeared there since it numbered its new files (another writer may have taken
    the number) or an original changed since it was read."""
    clashes = [
        str(c.path)
        for c in changes
        if c.new_file and os.path.lexists(c.path) and not os.path.islink(c.path)
    ]
    if clashes and not force:
        raise click.UsageError(
            f"refusing to overwrite {', '.join(clashes)} (pass --force to replace)"
        )
    bases = {c.path: _base(c.path, listed) for c in changes if c.new_file}
    with ExitStack() as stack:
        for folder in sorted({b for b in bases.values() if b is not None}):
            stack.enter_context(directory_lock(folder))
            appeared = sorted(_names(folder) - listed[folder])
            if appeared:
                raise WriteError(
                    folder,
                    f"{', '.join(appeared)} appeared while fix ran (another writer may have "
                    "taken a version fix numbered); run fix again",
                )
        puts: list[Put] = []
        for change in changes:
            if change.new_file:
                data = change.after.encode("utf-8")
                puts.append(Put(change.path, data, True, force, bases[change.path]))
                continue
            raw = change.path.read_bytes()
            if raw.decode("utf-8-sig", errors="replace") != change.before:
                raise WriteError(change.path, "changed while fix ran; run fix again")
            bom = _BOM if raw.startswith(_BOM.encode()) else ""
            puts.append(Put(change.path, (bom + change.after).encode("utf-8")))
        write_all(puts)


def _base(path: Path, listed: dict[Path, frozenset[str]]) -> Path | None:
    """The migration directory a new file goes into."""
    return next((parent for parent in path.parents if parent in listed), None)
