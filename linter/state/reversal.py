"""What a down migration undoes: the objects its paired up migration created, renamed or set.

A down migration is run to roll back its up migration (after the later ones were rolled
back): it is linted against the model right after its up (see ``engine``), and what it
does to the objects that up created is no finding of the app-compatibility rules (the
application version from before the up never used them). :class:`Reversal` answers, for
one down migration, whether a drop, a rename or a DROP NOT NULL / DROP DEFAULT reverses its
up; lock hazards stay the lock rules' to report.

The answers compare the model before the up with the model after it, both as the history
built them; an object the history never modelled (a table created outside it) is never a
reversal, so what cannot be told is still reported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..inputs.source import Source, SourceError
from ..lockmodel.schema import Column, Schema, Table
from ..util.records import record

# objects that ``CREATE OR REPLACE`` may redefine: one that existed before the up is not
# created by it (dropping it in the down loses the old definition)
_REPLACEABLE = ("view:", "function:", "trigger:")
# objects often shared with the rest of the database (``CREATE EXTENSION IF NOT EXISTS``
# of one installed outside the history): never taken as created by the up
_SHARED = ("extension:", "schema:", "database:", "trigger-function:")


@record
class Reversal:
    """The paired up migration of a down migration: the model before it (*before*) and
    right after it (*after*, the model the down migration starts from)."""

    up: str  # the up migration's path
    before: Schema
    after: Schema
    # ``(old key, new key)`` of each rename the up's statements make (``fold.rename_keys``)
    renames: frozenset[tuple[str, str]] = frozenset()

    @property
    def up_file(self) -> int:
        """The file index under which the up migration's objects were created."""
        return self.before.file

    def reverses(self, now: Schema, kind: str, *names: str) -> bool:
        """Whether the object named *names* (as the down migration names it, with *now*
        the model before its statement) is one the up migration created, or whether the
        change *kind* gives back what the up migration changed.

        *kind*: ``table`` (table), ``column`` (table, column), ``index`` (index),
        ``constraint`` (table, constraint), ``object`` (model key such as ``view:public.v``),
        ``not-null`` / ``default`` (table, column: the up set it), ``rename`` (old key,
        new key, as ``fold.rename_keys`` gives them: the up renamed *new* to *old*).
        """
        check = _KINDS.get(kind)
        if check is None:
            raise ValueError(f"unknown reversal kind {kind!r}")
        return check(self, now, *names)

    # -- what the up created ---------------------------------------------------------
    def _after_table(self, now: Schema, name: str) -> tuple[str, Table] | None:
        """*name* as the model after the up knew it (the down may have renamed it back
        already), with that table."""
        table = self.after.tables.get(name)
        if table is not None:
            return name, table
        down_file = now.file
        for key, (new, at) in now.renames.items():
            if at == down_file and new == name and key.startswith("table:"):
                old = key[len("table:") :]
                found = self.after.tables.get(old)
                return (old, found) if found is not None else None
        return None

    def created_table(self, now: Schema, name: str) -> bool:
        found = self._after_table(now, name)
        return found is not None and found[1].known and found[1].file == self.up_file

    def _names(self, now: Schema, table: str) -> tuple[str, str, Table] | None:
        """The table *table* (as the down names it) under its name after the up and
        before it (the up may have renamed it), with its model after the up."""
        found = self._after_table(now, table)
        if found is None:
            return None
        name, model = found
        for key, (new, at) in self.after.renames.items():
            if at == self.up_file and new == name and key.startswith("table:"):
                return name, key[len("table:") :], model
        return name, name, model

    def _column(self, now: Schema, table: str, after: str, column: str) -> str:
        """*column* of *table* as the model after the up names it (the down may have
        renamed it already; *after*: the table's name after the up)."""
        prefixes = tuple(dict.fromkeys((f"column:{table}:", f"column:{after}:")))
        for key, (new, at) in now.renames.items():
            if at == now.file and new == column and key.startswith(prefixes):
                return key.split(":", 2)[2]
        return column

    def _columns(
        self, now: Schema, table: str, column: str
    ) -> tuple[tuple[str, str, str], Column, Column | None] | None:
        """((table after the up, before it, column after it), the column after the up,
        the column before it or ``None``), when the history modelled the table before the
        up; ``None`` when it cannot be told."""
        names = self._names(now, table)
        if names is None:
            return None
        after_name, before_name, model = names
        name = column if column in model.columns else self._column(now, table, after_name, column)
        after = model.columns.get(name)
        previous = self.before.tables.get(before_name)
        if after is None or previous is None or not previous.known:
            return None
        return (after_name, before_name, name), after, previous.columns.get(name)

    def created_column(self, now: Schema, table: str, column: str) -> bool:
        if self.created_table(now, table):
            return True
        found = self._columns(now, table, column)
        if found is None:
            return False
        (after_name, before_name, name), _after, previous = found
        keys = {f"column:{after_name}:{name}", f"column:{before_name}:{name}"}
        if any(new in keys for _old, new in self.renames):
            return False  # a column the up renamed into this name is not a new column
        # new, or the up renamed the old one away and added one under its name
        return previous is None or any(old in keys for old, _new in self.renames)

    def created_index(self, now: Schema, name: str) -> bool:
        index = self.after.indexes.get(name)
        return index is not None and index.file == self.up_file

    def created_constraint(self, now: Schema, table: str, name: str) -> bool:
        found = self._after_table(now, table)
        constraint = found[1].constraints.get(name) if found is not None else None
        return constraint is not None and constraint.file == self.up_file

    def created_object(self, now: Schema, key: str) -> bool:
        if key.startswith(_SHARED) or self.after.objects.get(key) != self.up_file:
            return False
        return not (key.startswith(_REPLACEABLE) and key in self.before.objects)

    # -- what the up changed -----------------------------------------------------------
    def set_not_null(self, now: Schema, table: str, column: str) -> bool:
        if self.created_column(now, table, column):
            return True
        found = self._columns(now, table, column)
        return found is not None and _changed(found[1], found[2], "not_null")

    def set_default(self, now: Schema, table: str, column: str) -> bool:
        if self.created_column(now, table, column):
            return True
        found = self._columns(now, table, column)
        return found is not None and _changed(found[1], found[2], "has_default")

    def renamed_back(self, now: Schema, old: str, new: str) -> bool:
        """Renaming *old* to *new* (keys as ``fold.rename_keys`` gives them) gives back the
        name the up renamed away."""
        if (new, old) in self.renames:
            return True
        if not old.startswith("column:"):
            return False
        # the table may be under another name in the down (renamed back already) or in
        # the up (renamed before or after its column)
        _, table, column = old.split(":", 2)
        names = self._names(now, table)
        if names is None:
            return False
        target = new.split(":", 2)[2]
        return any(
            (f"column:{name}:{target}", f"column:{name}:{column}") in self.renames
            for name in names[:2]
        )


def _changed(after: Column, before: Column | None, flag: str) -> bool:
    """The up turned *flag* (``not_null``, ``has_default``) on for a column it did not
    create."""
    return before is not None and bool(getattr(after, flag)) and not getattr(before, flag)


_KINDS: dict[str, Callable[..., bool]] = {
    "table": Reversal.created_table,
    "column": Reversal.created_column,
    "index": Reversal.created_index,
    "constraint": Reversal.created_constraint,
    "object": Reversal.created_object,
    "not-null": Reversal.set_not_null,
    "default": Reversal.set_default,
    "rename": Reversal.renamed_back,
}


def paired_ups(items: Sequence[Source | SourceError]) -> dict[int, int]:
    """down position -> position of its up migration (the last applied source before it
    with the path it undoes, see ``Source.undoes``)."""
    last: dict[str, int] = {}
    out: dict[int, int] = {}
    for position, source in enumerate(items):
        if not isinstance(source, Source):
            continue
        if source.undoes and source.undoes in last:
            out[position] = last[source.undoes]
        if source.apply:
            last[source.path] = position
    return out


def uncut(items: Sequence[Source | SourceError]) -> frozenset[int]:
    """Positions a history must not be resumed or split at: those after an up migration
    up to its down (the down needs the model from before its up, see :class:`Reversal`)."""
    out: set[int] = set()
    for down, up in paired_ups(items).items():
        out.update(range(up + 1, down + 1))
    return frozenset(out)
