"""Where ``sqlsafe fix`` puts what it moves out of a migration: right after that migration.

A runner applies a history in its own order (:mod:`linter.inputs.layouts`). Statements that fix
moves out of a file (a ``CREATE INDEX CONCURRENTLY``, a ``VALIDATE CONSTRAINT`` after a
commit) must run right after that file and before the next migration of the history, as
they did before: an index moved after the migration that drops its column, or after the
one that uses it, breaks that migration. So the new files get versions (names) that the
runner sorts strictly between the two, checked with the layout's own sort key. When the
layout has no such version (``0002`` followed by ``0003`` in a layout with integer
versions), :func:`place_steps` says so and fix leaves the file as it is.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import os
import re
from collections.abc import Sequence
from pathlib import Path

from ..inputs.layouts import MigrationUnit, OrderKey, plan_files, up_order_key
from ..util.records import record
from .scaffold_layouts import (
    LAYOUT_TABLE,
    FileStep,
    Layout,
    OutFile,
    existing_versions,
    is_sql,
    next_versions,
    render_files,
    step_units,
)

_TS_FORMAT = "%Y%m%d%H%M%S"
_DASHED_FORMAT = "%Y-%m-%d-%H%M%S"  # diesel's
# the version part of a file (or, for diesel and Prisma, directory) name, per layout
_VERSION = {
    "plain": re.compile(r"^(\d+)"),
    "golang-migrate": re.compile(r"^(\d+)_"),
    "goose": re.compile(r"^(\d+)"),
    "dbmate": re.compile(r"^(\d+)"),
    "diesel": re.compile(r"^([0-9][0-9-]*)"),
    "prisma": re.compile(r"^(\d+)"),
    "flyway": re.compile(r"^V(\d+(?:[._]\d+)*)__"),
}
# runners that sort by the file name itself (not only by its version): the new names must
# sort between in plain byte order too
_BY_NAME = frozenset({"plain", "dbmate"})


@record
class HistoryOrder:
    """The up migrations of one history, in the order its runner applies them."""

    layout: str
    entries: tuple[tuple[OrderKey, Path], ...]
    root: str = ""  # the history's directory

    @classmethod
    def read(cls, root: Path, layout: str) -> HistoryOrder:
        """The files of the directory *root* as the runner of *layout* finds them (every
        file it runs, excluded from linting or not)."""
        history = os.path.normpath(root)
        found: list[tuple[OrderKey, Path]] = []
        for item in plan_files([str(root)], layout):
            key = up_order_key(item.path, layout)
            if key is not None and item.history == history:
                found.append((key, item.path))
        found.sort(key=lambda entry: entry[0])
        return cls(layout, tuple(found), str(root))

    def next_after(self, path: Path) -> Path | None:
        """The migration the runner applies right after *path* (None: it is the last)."""
        key = up_order_key(path, self.layout)
        if key is None:
            return None
        return next((p for k, p in self.entries if k > key), None)


@record
class Placement:
    """The new files for a fixed migration's moved steps, or why there are none."""

    files: tuple[OutFile, ...] = ()
    # the existing migration the new files run before (None: the fixed file is the last)
    before: Path | None = None
    refusal: str | None = None


def migration_folder(unit: MigrationUnit) -> Path:
    """The directory new files for *unit*'s moved steps go into: the directory of
    migrations (for diesel and Prisma, the one above the migration's own directory)."""
    path = Path(unit.path)
    return path.parent.parent if unit.layout in ("diesel", "prisma") else path.parent


def place_steps(
    source: Path,
    folder: Path,
    steps: Sequence[FileStep],
    order: HistoryOrder,
    lock_timeout: str,
    statement_timeout: str,
    now: _dt.datetime | None = None,
) -> Placement:
    """Files for *steps* (moved out of the migration *source*), written to *folder*, that
    the runner applies right after *source* and before the next migration of *order*."""
    following = order.next_after(source)
    if not steps:
        return Placement(before=following)
    layout = LAYOUT_TABLE.get(order.layout)
    if layout is None:
        return Placement(refusal=f"sqlsafe cannot write new {order.layout} migration files")
    source_key = up_order_key(source, order.layout)
    if source_key is None:
        return Placement(
            refusal=f"{order.layout} does not run it as a migration, so nothing says where "
            "statements moved out of it would run"
        )
    count = sum(len(step_units(step, layout)) for step in steps)
    taken = set(existing_versions(folder, layout))
    options = _candidates(source, layout, count)
    if following is None:  # the last migration: after every other one, as a new one would
        options.insert(0, next_versions(folder, layout, count, now))
    for versions in options:
        if taken.intersection(versions):
            continue
        files = render_files(steps, layout, versions, lock_timeout, statement_timeout)
        if any((folder / out.path).exists() for out in files):
            continue
        new = [folder / out.path for out in files if is_sql(out.path)]
        if _runs_between(source, new, following, order.layout, source_key):
            return Placement(tuple(files), following)
    assert following is not None  # (after the last migration, a new version always fits)
    after = os.path.relpath(following, order.root) if order.root else str(following)
    return Placement(
        before=following,
        refusal=f"what fix moves out of it must run right after it, before {after}, and "
        f"{order.layout} has no version between the two",
    )


def _runs_between(
    source: Path, new: Sequence[Path], following: Path | None, layout: str, source_key: OrderKey
) -> bool:
    """Whether the runner applies *new*, in that order, right after *source* and before
    *following* (judged with the layout's own sort key)."""
    keys: list[OrderKey] = [source_key]
    for path in new:
        key = up_order_key(path, layout)
        if key is None:
            return False
        keys.append(key)
    if following is not None:
        key = up_order_key(following, layout)
        assert key is not None
        keys.append(key)
    if not all(a < b for a, b in itertools.pairwise(keys)):
        return False
    if layout not in _BY_NAME:
        return True
    names = [source.name, *(p.name for p in new)]
    if following is not None:
        names.append(following.name)
    return all(a < b for a, b in itertools.pairwise(names))


def _version_of(source: Path, layout: Layout) -> str | None:
    name = source.parent.name if layout.name in ("diesel", "prisma") else source.name
    match = _VERSION[layout.name].match(name)
    return match.group(1) if match else None


def _candidates(source: Path, layout: Layout, count: int) -> list[list[str]]:
    """Versions to try for *count* new files right after *source*, the most natural first."""
    version = _version_of(source, layout)
    options: list[list[str]] = []
    if version is not None:
        options.extend(_successors(version, count))
        if layout.name == "flyway":  # V2 -> V2.1, V2.2 ...; V2.0.1 ... when V2.1 follows
            options.append([f"{version}.{i}" for i in range(1, count + 1)])
            options.append([f"{version}.0.{i}" for i in range(1, count + 1)])
    if layout.name == "plain":  # 0002_x.sql -> 0002_x_1_<slug>.sql (`.` sorts before `_`)
        width = len(str(count))
        stem = source.name[: -len(".sql")] if source.name.endswith(".sql") else source.stem
        options.append([f"{stem}_{i:0{width}d}" for i in range(1, count + 1)])
    return options


def _successors(version: str, count: int) -> list[list[str]]:
    """The *count* versions after *version* in its own format: a timestamp plus seconds,
    or its last group of digits plus one, same width."""
    out: list[list[str]] = []
    digits = version.replace("-", "")
    when = None
    if len(digits) == 14 and digits.isdigit():
        try:
            when = _dt.datetime.strptime(digits, _TS_FORMAT)
        except ValueError:
            when = None
    if when is not None:
        fmt = _DASHED_FORMAT if "-" in version else _TS_FORMAT
        out.append([(when + _dt.timedelta(seconds=i)).strftime(fmt) for i in range(1, count + 1)])
    last = re.search(r"(\d+)$", version)
    if last is not None:
        width = len(last.group(1))
        numbers = [int(last.group(1)) + i for i in range(1, count + 1)]
        if len(str(numbers[-1])) <= width:
            head = version[: last.start()]
            out.append([head + str(n).zfill(width) for n in numbers])
    return out
