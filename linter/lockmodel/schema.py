"""The schema model: what the migration history has said about each object.

Values are immutable; every change returns a new :class:`Schema`.  A table created in the
file being linted is *new* (nobody uses it yet), and so is one created by an earlier file
of the same change (``--diff``: the files a change adds run back to back at deploy, see
:meth:`Schema.begin_file`); one created by an earlier file of the history is *existing*;
one never seen is existing with an unknown shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field, replace
from types import MappingProxyType
from typing import Any, TypeVar

from ..sql.pgast import TypeRef
from ..util.pmap import PMap
from ..util.records import record

_V = TypeVar("_V")


def _frozen() -> Mapping[str, Any]:
    return MappingProxyType({})


@record
class Column:
    name: str
    type: TypeRef | None = None
    not_null: bool = False
    has_default: bool = False
    generated: bool = False  # a stored generated column (``GENERATED ALWAYS AS (...) STORED``)
    # the sequences the column owns (schema-qualified, named as PostgreSQL named them):
    # its identity's, and those ``OWNED BY`` it (a serial's among them); dropped with it
    identity: str | None = None
    owned: tuple[str, ...] = ()
    # the sequence its default calls ``nextval`` on (a serial's, ``DEFAULT nextval('s')``)
    nextval: str | None = None

    @property
    def sequences(self) -> tuple[str, ...]:
        """Every sequence the column owns, its identity's first."""
        return (self.identity, *self.owned) if self.identity else self.owned


@record
class Constraint:
    name: str
    kind: str  # check | foreign | unique | primary | exclusion | notnull
    columns: tuple[str, ...] = ()
    validated: bool = True
    not_null_column: str | None = None  # CHECK (col IS NOT NULL)
    references: str | None = None  # referenced table of a foreign key
    file: int = -1  # index of the history file that added it (-1: unknown)
    # a foreign key's referenced columns as written (``REFERENCES t (a, b)``); empty:
    # the referenced table's primary key (see :meth:`Schema.referenced_columns`)
    ref_columns: tuple[str, ...] = ()


@record
class Index:
    name: str  # schema-qualified
    table: str
    columns: tuple[str, ...] = ()
    unique: bool = False
    file: int = -1  # index of the history file that created it (-1: unknown)
    partial: bool = False
    # the partial index's predicate only leaves out rows where these columns are NULL
    # (``WHERE a IS NOT NULL [AND b IS NOT NULL]``): it serves ``a = $1`` lookups
    null_filtered: tuple[str, ...] = ()
    # keys beyond ``columns``: expressions (and what follows them) or INCLUDE columns
    others: bool = False
    # marked clustered (CLUSTER ... USING, ALTER TABLE ... CLUSTER ON): a bare CLUSTER
    # reclusters its table
    clustered: bool = False
    # the columns its expressions and predicate read: a type change of one rebuilds the
    # index even when the table is not rewritten
    reads: tuple[str, ...] = ()
    # the partitioned index this partition's index is attached to: PostgreSQL created it
    # from that one (named it itself, see linter.sql.names) or ATTACH PARTITION
    # attached it
    parent: str | None = None
    # its column names as PostgreSQL chose them (``ChooseIndexColumnNames``): what the
    # indexes cloned from it are named after
    colnames: tuple[str, ...] = ()
    # its definition (method, keys, INCLUDE columns, predicate): ATTACH PARTITION attaches
    # a partition's index of the same definition rather than create one
    signature: str = ""
    constraint: str = ""  # primary | unique | exclusion: the constraint it is behind


@record
class Table:
    name: str
    file: int  # index of the history file that created it (-1: never seen)
    columns: Mapping[str, Column] = field(default_factory=_frozen)
    constraints: Mapping[str, Constraint] = field(default_factory=_frozen)
    partitioned: bool = False
    partition_key: tuple[str, ...] = ()  # plain key columns of a partitioned table
    partition_of: str | None = None  # parent, for a partition created with PARTITION OF
    known: bool = True  # False: referenced but never created in the history
    default_partition: bool = False  # the DEFAULT partition of ``partition_of``
    # derived: the tables its foreign keys reference (computed when not given; kept in step
    # by the methods below, so that a change costs no walk over every constraint)
    targets: frozenset[str] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.targets is None:
            found = frozenset(c.references for c in self.constraints.values() if c.references)
            object.__setattr__(self, "targets", found)

    def _with(
        self,
        columns: Mapping[str, Column],
        constraints: Mapping[str, Constraint],
        targets: frozenset[str] | None = None,
    ) -> Table:
        return Table(
            self.name,
            self.file,
            columns,
            constraints,
            self.partitioned,
            self.partition_key,
            self.partition_of,
            self.known,
            self.default_partition,
            targets,
        )

    def _targets_without(self, gone: Constraint | None) -> frozenset[str] | None:
        """The targets once the constraint *gone* left (walks the others only when it was
        a foreign key)."""
        if gone is None or not gone.references:
            return self.targets
        if any(
            c.references == gone.references
            for c in self.constraints.values()
            if c.name != gone.name
        ):
            return self.targets
        return frozenset(self.targets or ()) - {gone.references}

    # (columns and constraints become persistent maps on the first change: a table that
    # grows by one column per statement must not copy all its columns each time)
    def with_column(self, column: Column) -> Table:
        return self._with(
            _pmap(self.columns).set(column.name, column), self.constraints, self.targets
        )

    def without_column(self, name: str) -> Table:
        cons = _pmap(self.constraints)
        for key, con in self.constraints.items():
            if name in con.columns:
                cons = cons.delete(key)
        return self._with(_pmap(self.columns).delete(name), cons)  # (targets: recomputed)

    def renamed_column(self, old: str, new: str) -> Table:
        """The table after RENAME COLUMN: its constraints follow the column."""
        column = self.columns.get(old)
        if column is None:
            return self
        cols = _pmap(self.columns).rename(old, new, replace(column, name=new))
        cons = _pmap(self.constraints)
        for key, con in self.constraints.items():
            if old in con.columns or con.not_null_column == old:
                moved = tuple(new if name == old else name for name in con.columns)
                not_null = new if con.not_null_column == old else con.not_null_column
                cons = cons.set(key, replace(con, columns=moved, not_null_column=not_null))
        return self._with(cols, cons, self.targets)

    def with_constraint(self, con: Constraint) -> Table:
        targets = self._targets_without(self.constraints.get(con.name))
        if targets is not None and con.references:
            targets = targets | {con.references}
        return self._with(self.columns, _pmap(self.constraints).set(con.name, con), targets)

    def without_constraint(self, name: str) -> Table:
        targets = self._targets_without(self.constraints.get(name))
        return self._with(self.columns, _pmap(self.constraints).delete(name), targets)

    def has_validated_not_null_check(self, column: str) -> bool:
        return any(
            c.validated and c.not_null_column == column and c.kind in ("check", "notnull")
            for c in self.constraints.values()
        )


@record
class Schema:
    tables: Mapping[str, Table] = field(default_factory=PMap)
    indexes: Mapping[str, Index] = field(default_factory=PMap)
    # other objects ("sequence:public.s", "type:public.mood", "view:public.v"...) -> file
    objects: Mapping[str, int] = field(default_factory=PMap)
    file: int = 0  # index of the file being applied; what it creates is *new*
    # renames, for findings a later migration answers (linter.state.deferred): "table:<old>" or
    # "column:<table>:<old>" -> (new name, file of the rename)
    renames: Mapping[str, tuple[str, int]] = field(default_factory=PMap)
    # derived: table -> names of its indexes (kept in step with ``indexes`` by the methods
    # below; ignored when ``indexes`` was replaced by other means)
    by_table: _ByTable | None = field(default=None, repr=False, compare=False)
    # the first file of the run of files added by the change that ends with the current
    # one (``--diff``), whose creations are new too; ``None``: only the current file's
    change_from: int | None = None
    # derived: table -> the tables with a foreign key to it (kept in step with ``tables``
    # by the methods below, rebuilt when ``tables`` was replaced by other means)
    referrers: _Referrers | None = field(default=None, repr=False, compare=False)
    # materialized view -> the relations its query reads (REFRESH runs it again; renamed
    # with them: a view refers to a table by OID)
    view_reads: Mapping[str, tuple[str, ...]] = field(default_factory=PMap)

    # -- queries ----------------------------------------------------------------------
    def table(self, name: str) -> Table | None:
        return self.tables.get(name)

    def created_new(self, file: int) -> bool:
        """What the file *file* created is new: it is the current file, or an earlier one
        of the same change deployed with it (:meth:`begin_file`)."""
        if file == self.file:
            return True
        start = self.change_from
        return start is not None and 0 <= start <= file <= self.file

    def is_new_table(self, name: str) -> bool:
        """A new table, or materialized view (a relation that can be indexed)."""
        table = self.tables.get(name)
        if table is not None:
            return self.created_new(table.file)
        view = self.objects.get(f"view:{name}")
        return view is not None and self.created_new(view)

    def is_new_index(self, index: Index) -> bool:
        return self.created_new(index.file) or self.is_new_table(index.table)

    def is_new_object(self, key: str) -> bool:
        return self.created_new(self.objects.get(key, -1))

    def column(self, table: str, column: str) -> Column | None:
        t = self.tables.get(table)
        return t.columns.get(column) if t else None

    def indexes_of(self, table: str) -> list[Index]:
        """The indexes of *table*, in the order they were added to the model."""
        derived = self._by_table()
        indexes = self.indexes
        if derived is None or not isinstance(indexes, PMap):
            return [ix for ix in indexes.values() if ix.table == table]
        names = derived.names.get(table)
        if not names:
            return []
        found = [ix for ix in (indexes.get(n) for n in names) if ix is not None]
        found = [ix for ix in found if ix.table == table]
        if len(found) > 1:
            found.sort(key=lambda ix: indexes.seq(ix.name))
        return found

    def index_children(self, name: str) -> list[Index]:
        """The partitions' indexes attached to the partitioned index *name*."""
        index = self.indexes.get(name)
        if index is not None and not self.may_have_partitions(index.table):
            return []  # (the common case, without a look at every index)
        return [ix for ix in self.indexes.values() if ix.parent == name]

    def may_have_partitions(self, table: str) -> bool:
        """False when *table* is known to the model and not partitioned: nothing can be
        attached below it (PostgreSQL cannot make a table partitioned later)."""
        known = self.tables.get(table)
        return known is None or not known.known or known.partitioned

    def index_descendants(self, name: str) -> list[Index]:
        """The indexes below the partitioned index *name*, sub-partitions' included."""
        out: list[Index] = []
        todo = [name]
        while todo:
            for child in self.index_children(todo.pop()):
                if child not in out:
                    out.append(child)
                    todo.append(child.name)
        return out

    def constraint_named(self, nsp: str, name: str) -> bool:
        """A constraint of a table in schema *nsp* is named *name*."""
        prefix = f"{nsp}."
        return any(
            name in table.constraints
            for table in self.tables.values()
            if table.name.startswith(prefix)
        )

    def sequences_of(self, table: str, column: str | None = None) -> list[str]:
        """The sequences *table* (its *column*) owns: identity, serial, ``OWNED BY``."""
        t = self.tables.get(table)
        if t is None:
            return []
        return [
            seq
            for col in t.columns.values()
            if column is None or col.name == column
            for seq in col.sequences
        ]

    def sequence_owner(self, sequence: str) -> tuple[str, str] | None:
        """``(table, column)`` that owns *sequence*, if the model knows one."""
        for table in self.tables.values():
            for col in table.columns.values():
                if sequence in col.sequences:
                    return table.name, col.name
        return None

    def nextval_users(self, sequence: str) -> list[tuple[str, str]]:
        """``(table, column)`` of each column whose default calls ``nextval`` on *sequence*."""
        return [
            (table.name, col.name)
            for table in self.tables.values()
            for col in table.columns.values()
            if col.nextval == sequence
        ]

    def relation_kind(self, name: str) -> str | None:
        """What the relation *name* is to the model: table, index, sequence, view (a
        materialized one too); None when it does not know it."""
        table = self.tables.get(name)
        if table is not None and table.known:
            return "table"
        if name in self.indexes:
            return "index"
        if f"sequence:{name}" in self.objects:
            return "sequence"
        if f"view:{name}" in self.objects:
            return "view"
        return None

    def matching_index(self, table: str, signature: str, constraint: str = "") -> Index | None:
        """The index of *table* not yet attached to a partitioned one whose definition is
        *signature* (behind a constraint of the kind *constraint*, when that is given):
        what PostgreSQL attaches instead of creating one (``CompareIndexInfo``)."""
        for own in self.indexes_of(table):
            if (
                own.parent is None
                and own.signature
                and own.signature == signature
                and (not constraint or own.constraint == constraint)
            ):
                return own
        return None

    def relation_name_taken(self, name: str) -> bool:
        """Whether a relation the model knows (table, index, sequence, view) has *name*."""
        return self.relation_kind(name) is not None or name in self.tables

    def constraint(self, table: str, name: str) -> Constraint | None:
        t = self.tables.get(table)
        return t.constraints.get(name) if t else None

    def referenced_columns(self, con: Constraint) -> tuple[str, ...]:
        """The columns foreign key *con* references: those it names, else the referenced
        table's primary key (empty when the model does not know it)."""
        if con.ref_columns or con.references is None:
            return con.ref_columns
        table = self.tables.get(con.references)
        for other in table.constraints.values() if table is not None else ():
            if other.kind == "primary":
                return other.columns
        return ()

    def foreign_keys_to(
        self, table: str, columns: tuple[str, ...] | None = None, *, exact: bool = False
    ) -> list[tuple[str, Constraint]]:
        """``(referencing table, constraint)`` for each foreign key of another table that
        references *table* (given *columns*: one that references any of them; *exact*:
        exactly them, the key a primary key or unique constraint on *columns* provides)."""
        out = []
        for name in self._referrers().names.get(table, ()):
            other = self.tables.get(name)
            if other is None or other.name == table:
                continue
            for con in other.constraints.values():
                if con.references != table:
                    continue
                refs = set(self.referenced_columns(con))
                wanted = set(columns or ())
                if columns is None or (refs == wanted if exact else bool(refs & wanted)):
                    out.append((other.name, con))
        return out

    def type_in_use(self, name: str) -> bool:
        """Whether a column of a modelled table may be of the type *name* (``public.mood``,
        as in a ``type:`` key), or of an array of it.  Columns whose type the history does
        not show (added by a ``DO`` block, ``CREATE TABLE AS``...) are not counted."""
        return bool(self.tables_using_type(name))

    def tables_using_type(self, name: str) -> tuple[str, ...]:
        """The modelled tables with a column that may be of the type (or domain) *name*,
        or of an array of it (see :meth:`type_in_use`)."""
        return tuple(
            table.name
            for table in self.tables.values()
            if any(
                column.type is not None and may_be_type(column.type, name)
                for column in table.columns.values()
            )
        )

    def is_trigger_function(self, key: str) -> bool:
        """Whether the function *key* (``function:public.f``) was created ``RETURNS trigger``."""
        return f"trigger-{key}" in self.objects

    # -- changes ----------------------------------------------------------------------
    def _with(
        self,
        tables: Mapping[str, Table] | None = None,
        indexes: Mapping[str, Index] | None = None,
        objects: Mapping[str, int] | None = None,
        file: int | None = None,
        by_table: _ByTable | None = None,
        renames: Mapping[str, tuple[str, int]] | None = None,
        change_from: int | None = -2,  # (-2: keep)
        referrers: _Referrers | None = None,
        view_reads: Mapping[str, tuple[str, ...]] | None = None,
    ) -> Schema:
        new_indexes = self.indexes if indexes is None else indexes
        if by_table is None and indexes is None:
            by_table = self.by_table
        if referrers is None and tables is None:
            referrers = self.referrers
        return Schema(
            self.tables if tables is None else tables,
            new_indexes,
            self.objects if objects is None else objects,
            self.file if file is None else file,
            self.renames if renames is None else renames,
            by_table,
            self.change_from if change_from == -2 else change_from,
            referrers,
            self.view_reads if view_reads is None else view_reads,
        )

    def _referrers(self) -> _Referrers:
        """The table -> referencing tables map for the current ``tables`` (built when
        missing)."""
        derived = self.referrers
        if derived is not None and derived.source is self.tables:
            return derived
        grouped: dict[str, list[str]] = {}
        for table in self.tables.values():
            for target in table.targets or ():
                grouped.setdefault(target, []).append(table.name)
        return _Referrers(self.tables, PMap((t, tuple(n)) for t, n in grouped.items()))

    def _same_references(self, tables: Mapping[str, Table]) -> _Referrers:
        """The referrers for *tables*, which differ from ``tables`` in nothing a foreign
        key references."""
        return _Referrers(tables, self._referrers().names)

    def _renamed(self, key: str, new: str) -> Mapping[str, tuple[str, int]]:
        return _pmap(self.renames).set(key, (new, self.file))

    def rename_column(self, table: str, old: str, new: str) -> Schema:
        """RENAME COLUMN: the table's constraints and indexes follow the column."""
        model = self.tables.get(table)
        if model is None or old not in model.columns:
            return self
        tables = _pmap(self.tables).set(table, model.renamed_column(old, new))
        schema = self._with(
            tables=tables,
            renames=self._renamed(f"column:{table}:{old}", new),
            referrers=self._same_references(tables),
        )
        for index in schema.indexes_of(table):
            if old in index.columns or old in index.reads:
                moved = tuple(new if c == old else c for c in index.columns)
                reads = tuple(new if c == old else c for c in index.reads)
                schema = schema.put_index(replace(index, columns=moved, reads=reads))
        # the foreign keys that name the column among those they reference follow it
        for other, con in schema.foreign_keys_to(table, (old,)):
            if old in con.ref_columns:
                refs = tuple(new if c == old else c for c in con.ref_columns)
                schema = schema._replace_constraint(other, replace(con, ref_columns=refs))
        return schema

    def _replace_constraint(self, table: str, con: Constraint) -> Schema:
        model = self.tables.get(table)
        if model is None:
            return self
        return self.put_table(model.with_constraint(con))

    def without_foreign_keys_to(
        self, table: str, columns: tuple[str, ...] | None = None, *, exact: bool = False
    ) -> Schema:
        """The model after ``... CASCADE`` dropped the foreign keys of other tables to
        *table* (see :meth:`foreign_keys_to`)."""
        schema = self
        for other, con in self.foreign_keys_to(table, columns, exact=exact):
            model = schema.tables.get(other)
            if model is not None:
                schema = schema.put_table(model.without_constraint(con.name))
        return schema

    def _by_table(self) -> _ByTable | None:
        derived = self.by_table
        if derived is not None and derived.source is self.indexes:
            return derived
        return None

    def _derived(self) -> _ByTable:
        """The table -> index names map for the current ``indexes`` (built when missing)."""
        derived = self._by_table()
        if derived is not None:
            return derived
        grouped: dict[str, list[str]] = {}
        for ix in self.indexes.values():
            grouped.setdefault(ix.table, []).append(ix.name)
        names = PMap((t, tuple(n)) for t, n in grouped.items())
        return _ByTable(self.indexes, names)

    def _pindexes(self) -> PMap[str, Index]:
        indexes = self.indexes
        return indexes if isinstance(indexes, PMap) else PMap(indexes)

    def put_table(self, table: Table) -> Schema:
        tables = _pmap(self.tables).set(table.name, table)
        names = _moved(self._referrers().names, table.name, self.tables.get(table.name), table)
        return self._with(
            tables=tables,
            objects=self._present(f"table:{table.name}"),
            referrers=_Referrers(tables, names),
        )

    def _present(self, key: str) -> Mapping[str, int] | None:
        """``objects`` without the record that *key* is absent (None: there is none)."""
        absent = f"absent:{key}"
        return _pmap(self.objects).delete(absent) if absent in self.objects else None

    def mark_absent(self, key: str) -> Schema:
        """The history dropped (or renamed away) the object *key* (``table:public.t``,
        ``index:public.i``, ``view:public.v``...): until something creates it again, the
        model knows it does not exist (``DROP ... IF EXISTS`` of it locks nothing)."""
        return self._with(objects=_pmap(self.objects).set(f"absent:{key}", self.file))

    def exists(self, key: str) -> bool | None:
        """Whether the object *key* exists: True when the model has it, False when the
        history removed it (:meth:`mark_absent`), None when the model cannot tell (a
        history that never named it may be incomplete: objects made outside the
        migrations, by dynamic SQL...)."""
        kind, _, name = key.partition(":")
        if kind == "table":
            found = name in self.tables
        elif kind == "index":
            found = name in self.indexes
        else:
            found = key in self.objects
        if found:
            return True
        return False if f"absent:{key}" in self.objects else None

    def drop_table(self, name: str) -> Schema:
        tables = _pmap(self.tables).delete(name)
        refs = _moved(self._referrers().names, name, self.tables.get(name), None)
        derived = self._derived()
        indexes = self._pindexes()
        names = derived.names
        for ix_name in names.get(name, ()):
            ix = indexes.get(ix_name)
            if ix is not None and ix.table == name:
                indexes = indexes.delete(ix_name)
        names = names.delete(name)
        return self._with(
            tables=tables,
            indexes=indexes,
            by_table=_ByTable(indexes, names),
            referrers=_Referrers(tables, refs),
        )

    def rename_table(self, old: str, new: str) -> Schema:
        table = self.tables.get(old)
        if table is None:
            return self
        tables = _pmap(self.tables).delete(old).set(new, replace(table, name=new))
        derived = self._derived()
        indexes = self._pindexes()
        names = derived.names
        moved = names.get(old, ())
        for ix_name in moved:
            ix = indexes.get(ix_name)
            if ix is not None and ix.table == old:
                indexes = indexes.set(ix_name, replace(ix, table=new))
        if moved and old != new:
            names = names.delete(old).set(new, (*names.get(new, ()), *moved))
        refs = self._referrers().names
        referencing = tuple(new if n == old else n for n in refs.get(old, ()))
        refs = _moved(refs, old, table, None)
        for name in referencing:  # foreign keys reference the table by OID: they follow it
            holder = tables.get(name)
            if holder is None:
                continue
            for con in holder.constraints.values():
                if con.references == old:
                    holder = holder.with_constraint(replace(con, references=new))
            tables = tables.set(name, holder)
        if referencing and old != new:
            listed = refs.get(new, ())
            refs = refs.delete(old).set(
                new, (*listed, *(n for n in referencing if n not in listed and n != new))
            )
        refs = _moved(refs, new, None, tables.get(new))
        return self._with(
            tables=tables,
            indexes=indexes,
            by_table=_ByTable(indexes, names),
            renames=self._renamed(f"table:{old}", new),
            objects=self._present(f"table:{new}"),
            referrers=_Referrers(tables, refs),
            view_reads=self._reads_renamed(old, new),
        )

    def put_index(self, index: Index) -> Schema:
        derived = self._derived()
        indexes = self._pindexes().set(index.name, index)
        names = derived.names
        listed = names.get(index.table, ())
        if index.name not in listed:
            names = names.set(index.table, (*listed, index.name))
        return self._with(
            indexes=indexes,
            by_table=_ByTable(indexes, names),
            objects=self._present(f"index:{index.name}"),
        )

    def drop_index(self, name: str) -> Schema:
        derived = self._derived()
        indexes = self._pindexes()
        old = indexes.get(name)
        if old is None:
            return self._with(indexes=indexes, by_table=_ByTable(indexes, derived.names))
        indexes = indexes.delete(name)
        names = derived.names
        listed = names.get(old.table, ())
        if name in listed:
            rest = tuple(n for n in listed if n != name)
            names = names.set(old.table, rest) if rest else names.delete(old.table)
        return self._with(indexes=indexes, by_table=_ByTable(indexes, names))

    def put_object(self, key: str) -> Schema:
        return self._with(objects=_pmap(self._present(key) or self.objects).set(key, self.file))

    def with_view_reads(self, view: str, reads: Sequence[str]) -> Schema:
        """The materialized view *view* (created now) reads *reads*; none: forgotten."""
        current = _pmap(self.view_reads)
        if reads:
            return self._with(view_reads=current.set(view, tuple(dict.fromkeys(reads))))
        return self._with(view_reads=current.delete(view)) if view in current else self

    def _reads_renamed(self, old: str, new: str) -> Mapping[str, tuple[str, ...]] | None:
        """``view_reads`` once the relation *old* is named *new* (None: unchanged)."""
        views = self.view_reads
        if not views:
            return None
        out = _pmap(views)
        if old in out:
            out = out.delete(old).set(new, out[old])
        for view, reads in views.items():
            if old in reads:
                renamed = tuple(new if r == old else r for r in reads)
                out = out.set(view if view != old else new, renamed)
        return out

    def rename_object(self, old: str, new: str) -> Schema:
        """The object keeps the file that created it (an old object under a new name)."""
        objects = _pmap(self.objects)
        created = objects.get(old, -1)
        views = None
        if old.startswith("view:") and new.startswith("view:"):
            views = self._reads_renamed(old.split(":", 1)[1], new.split(":", 1)[1])
        return self._with(objects=objects.delete(old).set(new, created), view_reads=views)

    def rename_type(self, old: str, new: str) -> Schema:
        """Columns of the type *old* are of the type *new* once it is renamed (a column
        refers to its type by OID); names as in ``type:`` keys."""
        tables = _pmap(self.tables)
        for table in self.tables.values():
            renamed = table
            for column in table.columns.values():
                ref = column.type
                if ref is None or not may_be_type(ref, old):
                    continue
                base = new if "." in ref.name else new.split(".", 1)[-1]
                renamed = renamed.with_column(replace(column, type=replace(ref, name=base)))
            if renamed is not table:
                tables = tables.set(table.name, renamed)
        return self._with(tables=tables, referrers=self._same_references(tables))

    def drop_object(self, key: str) -> Schema:
        views = None
        if key.startswith("view:") and key[5:] in self.view_reads:
            views = _pmap(self.view_reads).delete(key[5:])
        return self._with(objects=_pmap(self.objects).delete(key), view_reads=views)

    def begin_file(self, in_change: bool) -> Schema:
        """The model for the next file; *in_change*: the change (``--diff``) adds it, so
        it runs right after the files the change added before it, back to back at deploy:
        what those created is still empty and unused, new for it as for them."""
        if not in_change:
            return self if self.change_from is None else self._with(change_from=None)
        if self.change_from is not None:
            return self
        return self._with(change_from=self.file)

    def end_file(self) -> Schema:
        """The file was applied: what it created now exists (deployed, possibly large)."""
        return self._with(file=self.file + 1)


@record
class _Referrers:
    """The tables with a foreign key to each table, derived from one ``tables`` map
    (*source*)."""

    source: Mapping[str, Table]
    names: PMap[str, tuple[str, ...]]


def _moved(
    names: PMap[str, tuple[str, ...]], name: str, before: Table | None, after: Table | None
) -> PMap[str, tuple[str, ...]]:
    """*names* (referrers) once table *name* went from *before* to *after*."""
    old = (before.targets if before is not None else None) or frozenset()
    new = (after.targets if after is not None else None) or frozenset()
    if old == new:
        return names
    for target in old - new:
        listed = names.get(target, ())
        if name in listed:
            rest = tuple(n for n in listed if n != name)
            names = names.set(target, rest) if rest else names.delete(target)
    for target in new - old:
        listed = names.get(target, ())
        if name not in listed:
            names = names.set(target, (*listed, name))
    return names


@record
class _ByTable:
    """Index names per table, derived from one ``indexes`` map (*source*)."""

    source: Mapping[str, Index]
    names: PMap[str, tuple[str, ...]]


def _pmap(mapping: Mapping[str, _V]) -> PMap[str, _V]:
    return mapping if isinstance(mapping, PMap) else PMap(mapping)


def may_be_type(ref: TypeRef, name: str) -> bool:
    """Whether the column type *ref* may name the type *name* (schema-qualified and
    case-preserved, as in a ``type:`` key).

    An unqualified name may resolve to any schema on the search path, so only its base
    name is compared.
    """
    if "." in ref.name:
        return ref.name == name or ref.name.endswith(f".{name}")
    return ref.name == name.split(".", 1)[-1]


# -- plain-data form (the result cache stores it with ``marshal``: no code runs on load) --
def _type_data(tref: TypeRef | None) -> Any:
    return None if tref is None else (tref.name, tuple(tref.mods), tref.array)


def _type_from(data: Any) -> TypeRef | None:
    if data is None:
        return None
    name, mods, array = data
    return TypeRef(str(name), tuple(mods), bool(array))


def schema_to_data(schema: Schema) -> Any:
    """*schema* as nested tuples of str/int/bool/None (see :func:`schema_from_data`)."""
    tables = tuple(
        (
            t.name,
            t.file,
            tuple(
                (
                    c.name,
                    _type_data(c.type),
                    c.not_null,
                    c.has_default,
                    c.generated,
                    c.identity,
                    c.owned,
                    c.nextval,
                )
                for c in t.columns.values()
            ),
            tuple(
                (
                    c.name,
                    c.kind,
                    c.columns,
                    c.validated,
                    c.not_null_column,
                    c.references,
                    c.file,
                    c.ref_columns,
                )
                for c in t.constraints.values()
            ),
            t.partitioned,
            t.partition_key,
            t.partition_of,
            t.known,
            t.default_partition,
        )
        for t in schema.tables.values()
    )
    indexes = tuple(
        (
            ix.name,
            ix.table,
            ix.columns,
            ix.unique,
            ix.file,
            ix.partial,
            ix.null_filtered,
            ix.others,
            ix.clustered,
            ix.reads,
            ix.parent,
            ix.colnames,
            ix.signature,
            ix.constraint,
        )
        for ix in schema.indexes.values()
    )
    renames = tuple((k, v[0], v[1]) for k, v in schema.renames.items())
    objects = tuple(schema.objects.items())
    views = tuple((view, reads) for view, reads in schema.view_reads.items())
    return (tables, indexes, objects, schema.file, renames, schema.change_from, views)


def schema_from_data(data: Any) -> Schema:
    """The inverse of :func:`schema_to_data`; raises ``ValueError`` on malformed data."""
    try:
        tables_data, indexes_data, objects_data, file, renames_data, change_from, views_data = data
        tables: list[tuple[str, Table]] = []
        for name, tfile, cols, cons, partitioned, key, parent, known, default in tables_data:
            columns = {
                str(c[0]): Column(
                    str(c[0]),
                    _type_from(c[1]),
                    bool(c[2]),
                    bool(c[3]),
                    bool(c[4]),
                    c[5],
                    tuple(c[6]),
                    c[7],
                )
                for c in cols
            }
            constraints = {
                str(c[0]): Constraint(
                    str(c[0]),
                    str(c[1]),
                    tuple(c[2]),
                    bool(c[3]),
                    c[4],
                    c[5],
                    int(c[6]),
                    tuple(c[7]),
                )
                for c in cons
            }
            table = Table(
                str(name),
                int(tfile),
                MappingProxyType(columns),
                MappingProxyType(constraints),
                bool(partitioned),
                tuple(key),
                parent,
                bool(known),
                bool(default),
            )
            tables.append((table.name, table))
        indexes = [
            (
                str(ix[0]),
                Index(
                    str(ix[0]),
                    str(ix[1]),
                    tuple(ix[2]),
                    bool(ix[3]),
                    int(ix[4]),
                    bool(ix[5]),
                    tuple(ix[6]),
                    bool(ix[7]),
                    bool(ix[8]),
                    tuple(ix[9]),
                    None if ix[10] is None else str(ix[10]),
                    tuple(str(c) for c in ix[11]),
                    str(ix[12]),
                    str(ix[13]),
                ),
            )
            for ix in indexes_data
        ]
        objects = [(str(k), int(v)) for k, v in objects_data]
        renames = [(str(k), (str(new), int(at))) for k, new, at in renames_data]
        start = None if change_from is None else int(change_from)
        views = PMap((str(v), tuple(str(r) for r in reads)) for v, reads in views_data)
        return Schema(
            PMap(tables),
            PMap(indexes),
            PMap(objects),
            int(file),
            PMap(renames),
            None,
            start,
            None,
            views,
        )
    except (TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"malformed schema data: {exc}") from exc
