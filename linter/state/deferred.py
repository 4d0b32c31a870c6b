"""Findings that a later migration of the same history can answer.

A foreign key added without an index is a hazard until the index exists. When a *later*
migration of the history creates it (teams often add the index in the next file, or
Prisma-style tools split them), the finding is noise for that history: the two ship
together. A rule marks such a finding with the index it wants
(:class:`linter.state.context.Report` ``unless_indexed``); the engine records it with the
number of the file it is in, and once a history is linted to its end, :func:`resolve`
drops every marked finding whose index exists in the final model and was created in that
file or a later one.

Per-file results (the cache) always hold the findings before resolution: whether a
finding stands depends on the files after it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, TypeVar

from ..lockmodel.schema import Index, Schema

# (table, columns, number of the history file the finding is in)
Wanted = tuple[str, tuple[str, ...], int]


class Deferrable(Protocol):
    """What this module reads of a finding (:class:`linter.analysis.engine.Finding` is one)."""

    @property
    def deferred(self) -> Wanted | None: ...


Finding = TypeVar("Finding", bound=Deferrable)


def covers(index_columns: Sequence[str], columns: Sequence[str]) -> bool:
    """An index on *index_columns* serves lookups on *columns* (they lead it, any order)."""
    return len(index_columns) >= len(columns) and set(index_columns[: len(columns)]) == set(columns)


def serves(
    index_columns: Sequence[str],
    partial: bool,
    null_filtered: Sequence[str],
    columns: Sequence[str],
) -> bool:
    """An index serves equality lookups on *columns*: they lead it, and it is not partial,
    or its predicate only leaves out rows where some of *columns* are NULL (``col = $1``
    implies ``col IS NOT NULL``, so the planner can use it)."""
    if partial and not (null_filtered and set(null_filtered) <= set(columns)):
        return False
    return covers(index_columns, columns)


def indexed_since(
    final: Schema, wanted: Wanted, by_table: Mapping[str, Sequence[Index]] | None = None
) -> bool:
    """*final* has an index serving the wanted columns, created in the finding's file or
    after; or a later migration dropped one of the columns (and the foreign key with it).
    *by_table*: *final*'s indexes grouped by table (:func:`resolve` groups them once)."""
    table, columns, file = _renamed(final, wanted)
    model = final.table(table)
    if model is not None and model.known and any(c not in model.columns for c in columns):
        return True
    indexes = by_table.get(table, ()) if by_table is not None else final.indexes_of(table)
    return any(
        ix.file >= file and serves(ix.columns, ix.partial, ix.null_filtered, columns)
        for ix in indexes
    )


def _by_table(final: Schema) -> dict[str, list[Index]]:
    """*final*'s indexes grouped by table, in one pass (a model read back from the cache
    has no per-table index of its own: asking it table by table scans every index)."""
    groups: dict[str, list[Index]] = {}
    for ix in final.indexes.values():
        groups.setdefault(ix.table, []).append(ix)
    return groups


def _renamed(final: Schema, wanted: Wanted) -> Wanted:
    """*wanted* under the names a later migration gave its table and columns."""
    table, columns, file = wanted
    for _ in range(64):  # (a chain of renames; bounded in case one loops)
        moved = False
        new_columns = []
        for column in columns:
            found = final.renames.get(f"column:{table}:{column}")
            if found is not None and found[1] >= file and found[0] != column:
                column, moved = found[0], True
            new_columns.append(column)
        columns = tuple(new_columns)
        found = final.renames.get(f"table:{table}")
        if found is not None and found[1] >= file and found[0] != table:
            table, moved = found[0], True
        if not moved:
            break
    return table, columns, file


def without(findings: Sequence[Finding], positions: Iterable[int]) -> list[Finding]:
    """*findings* less those at *positions* (what :func:`resolve` returns)."""
    gone = set(positions)
    return [f for i, f in enumerate(findings) if i not in gone] if gone else list(findings)


def has_deferred(findings: Sequence[Deferrable]) -> bool:
    return any(f.deferred is not None for f in findings)


def resolve(findings: Sequence[Deferrable], final: Schema | None) -> list[int]:
    """Positions of the *findings* that the history's *final* model answers."""
    if final is None or not has_deferred(findings):
        return []
    groups = _by_table(final)
    return [
        i
        for i, f in enumerate(findings)
        if f.deferred is not None and indexed_since(final, f.deferred, groups)
    ]
