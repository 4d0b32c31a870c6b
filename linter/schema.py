"""The schema model: what the migration history has said about each object.

Values are immutable; every change returns a new :class:`Schema`.  A table created in the
file being linted is *new* (nobody uses it yet); one created by an earlier file of the
history is *existing*; one never seen is existing with an unknown shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from .pgast import TypeRef


def _frozen() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: TypeRef | None = None
    not_null: bool = False
    has_default: bool = False


@dataclass(frozen=True, slots=True)
class Constraint:
    name: str
    kind: str  # check | foreign | unique | primary | exclusion | notnull
    columns: tuple[str, ...] = ()
    validated: bool = True
    not_null_column: str | None = None  # CHECK (col IS NOT NULL)
    references: str | None = None  # referenced table of a foreign key
    file: int = -1  # index of the history file that added it (-1: unknown)


@dataclass(frozen=True, slots=True)
class Index:
    name: str  # schema-qualified
    table: str
    columns: tuple[str, ...] = ()
    unique: bool = False
    file: int = -1  # index of the history file that created it (-1: unknown)
    partial: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    file: int  # index of the history file that created it (-1: never seen)
    columns: Mapping[str, Column] = field(default_factory=_frozen)
    constraints: Mapping[str, Constraint] = field(default_factory=_frozen)
    partitioned: bool = False
    partition_key: tuple[str, ...] = ()  # plain key columns of a partitioned table
    partition_of: str | None = None  # parent, for a partition created with PARTITION OF
    known: bool = True  # False: referenced but never created in the history

    def with_column(self, column: Column) -> Table:
        cols = dict(self.columns)
        cols[column.name] = column
        return replace(self, columns=MappingProxyType(cols))

    def without_column(self, name: str) -> Table:
        cols = {k: v for k, v in self.columns.items() if k != name}
        cons = {k: c for k, c in self.constraints.items() if name not in c.columns}
        return replace(self, columns=MappingProxyType(cols), constraints=MappingProxyType(cons))

    def with_constraint(self, con: Constraint) -> Table:
        cons = dict(self.constraints)
        cons[con.name] = con
        return replace(self, constraints=MappingProxyType(cons))

    def without_constraint(self, name: str) -> Table:
        cons = {k: c for k, c in self.constraints.items() if k != name}
        return replace(self, constraints=MappingProxyType(cons))

    def has_validated_not_null_check(self, column: str) -> bool:
        return any(
            c.validated and c.not_null_column == column and c.kind in ("check", "notnull")
            for c in self.constraints.values()
        )


@dataclass(frozen=True, slots=True)
class Schema:
    tables: Mapping[str, Table] = field(default_factory=_frozen)
    indexes: Mapping[str, Index] = field(default_factory=_frozen)
    # other objects ("sequence:public.s", "type:public.mood", "view:public.v"...) -> file
    objects: Mapping[str, int] = field(default_factory=_frozen)
    file: int = 0  # index of the file being applied; what it creates is *new*

    # -- queries ----------------------------------------------------------------------
    def table(self, name: str) -> Table | None:
        return self.tables.get(name)

    def is_new_table(self, name: str) -> bool:
        table = self.tables.get(name)
        return table is not None and table.file == self.file

    def is_new_index(self, index: Index) -> bool:
        return index.file == self.file or self.is_new_table(index.table)

    def is_new_object(self, key: str) -> bool:
        return self.objects.get(key, -1) == self.file

    def column(self, table: str, column: str) -> Column | None:
        t = self.tables.get(table)
        return t.columns.get(column) if t else None

    def indexes_of(self, table: str) -> list[Index]:
        return [ix for ix in self.indexes.values() if ix.table == table]

    def constraint(self, table: str, name: str) -> Constraint | None:
        t = self.tables.get(table)
        return t.constraints.get(name) if t else None

    # -- changes ----------------------------------------------------------------------
    def put_table(self, table: Table) -> Schema:
        tables = dict(self.tables)
        tables[table.name] = table
        return replace(self, tables=MappingProxyType(tables))

    def drop_table(self, name: str) -> Schema:
        tables = {k: v for k, v in self.tables.items() if k != name}
        indexes = {k: v for k, v in self.indexes.items() if v.table != name}
        return replace(self, tables=MappingProxyType(tables), indexes=MappingProxyType(indexes))

    def rename_table(self, old: str, new: str) -> Schema:
        table = self.tables.get(old)
        if table is None:
            return self
        tables = {k: v for k, v in self.tables.items() if k != old}
        tables[new] = replace(table, name=new)
        indexes = {
            k: (replace(v, table=new) if v.table == old else v) for k, v in self.indexes.items()
        }
        return replace(self, tables=MappingProxyType(tables), indexes=MappingProxyType(indexes))

    def put_index(self, index: Index) -> Schema:
        indexes = dict(self.indexes)
        indexes[index.name] = index
        return replace(self, indexes=MappingProxyType(indexes))

    def drop_index(self, name: str) -> Schema:
        indexes = {k: v for k, v in self.indexes.items() if k != name}
        return replace(self, indexes=MappingProxyType(indexes))

    def put_object(self, key: str) -> Schema:
        objects = dict(self.objects)
        objects[key] = self.file
        return replace(self, objects=MappingProxyType(objects))

    def rename_object(self, old: str, new: str) -> Schema:
        """The object keeps the file that created it (an old object under a new name)."""
        objects = {k: v for k, v in self.objects.items() if k != old}
        objects[new] = self.objects.get(old, -1)
        return replace(self, objects=MappingProxyType(objects))

    def drop_object(self, key: str) -> Schema:
        objects = {k: v for k, v in self.objects.items() if k != key}
        return replace(self, objects=MappingProxyType(objects))

    def end_file(self) -> Schema:
        """The file was applied: what it created now exists (deployed, possibly large)."""
        return replace(self, file=self.file + 1)
