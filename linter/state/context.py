"""Settings, transaction state and the context a rule's ``check`` receives."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Any, Protocol

from ..inputs.settings import DEFAULT_TARGET_VERSION as DEFAULT_TARGET_VERSION
from ..inputs.settings import SUPPORTED_VERSIONS as SUPPORTED_VERSIONS
from ..inputs.settings import Settings as Settings
from ..lockmodel.effects import Effects
from ..lockmodel.locks import LockMode
from ..lockmodel.schema import Schema
from ..sql import pgast
from ..sql.parsing import LineIndex, Statement
from ..util.records import record
from .fold import apply_schema, lock_hold_extension
from .lookahead import LookAhead
from .reversal import Reversal
from .severity import Severity
from .txstate import TxState as TxState
from .txstate import is_new_relation


class Named(Protocol):
    """What :meth:`Context.report` reads of a rule (:class:`linter.rule.Rule` is one)."""

    @property
    def name(self) -> str: ...


def existing_locks(schema: Schema, effects: Effects) -> dict[str, LockMode]:
    """The locks of *effects* on relations that already existed before the file."""
    locks = effects.named_locks
    return {rel: mode for rel, mode in locks.items() if not is_new_relation(schema, rel)}


def strongest_existing_lock(
    schema: Schema, effects: Effects, above: LockMode
) -> tuple[str, LockMode] | None:
    """The strongest lock stronger than *above* that *effects* take on an existing relation."""
    blocking = [
        (rel, mode)
        for rel, mode in existing_locks(schema, effects).items()
        if mode.strength > above.strength
    ]
    return max(blocking, key=lambda item: item[1].strength) if blocking else None


def first_unguarded_lock(
    schema: Schema, effects: Effects, earlier: LockMode | None, above: LockMode
) -> tuple[str, LockMode] | None:
    """:func:`strongest_existing_lock`, unless the file already took a lock stronger than
    *above* while the timeout was off (*earlier*: reported there, once per file)."""
    if earlier is not None and earlier.strength > above.strength:
        return None
    return strongest_existing_lock(schema, effects, above)


@record
class FileInfo:
    path: str
    lines: LineIndex
    statement_count: int
    text: str
    statements: Sequence[Statement] = ()  # every statement of the file, for look-ahead
    ahead: LookAhead = field(default_factory=lambda: LookAhead(()), compare=False)
    # the file was already merged (applied) and has been edited since (``--diff``)
    edited_after_applied: bool = False
    layout: str = ""  # the runner's layout ("" when not known; see ``linter.state.advice``)
    # a down migration: its paired up migration, what it undoes (``linter.state.reversal``)
    undoing: Reversal | None = field(default=None, compare=False)


@record
class Context:
    """What a rule sees: the state *before* the statement under check, and its effects."""

    settings: Settings
    schema: Schema
    tx: TxState
    statement: Statement
    effects: Effects
    file: FileInfo
    # facts several rules derive from the statement, computed once (``typed_columns``)
    memo: dict[tuple[str, int], Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def target(self) -> int:
        return self.settings.target_version

    def typed_columns(
        self, node: pgast.Node
    ) -> tuple[tuple[pgast.ColumnType, pgast.TypeRef | None], ...]:
        """``pgast.column_types(node)``, each with its ``type_ref``; once per node."""
        key = ("typed_columns", id(node))
        found: tuple[tuple[pgast.ColumnType, pgast.TypeRef | None], ...] | None
        found = self.memo.get(key)
        if found is None:
            found = tuple((c, pgast.type_ref(c.type_name)) for c in pgast.column_types(node))
            self.memo[key] = found
        return found

    def declared_columns(
        self, node: pgast.Node
    ) -> tuple[tuple[pgast.ColumnType, pgast.TypeRef | None], ...]:
        """:meth:`typed_columns` of new columns only (CREATE TABLE, ADD COLUMN): what the
        ``style`` rules advise on. A type change of an existing column is not a new
        declaration (its cost is ``alter-column-type``'s business)."""
        return tuple(
            item for item in self.typed_columns(node) if item[0].action != "ALTER COLUMN TYPE"
        )

    def schema_after(self) -> Schema:
        """The model after the statement under check (once per statement: the engine
        folds it into the history)."""
        key = ("schema_after", 0)
        found: Schema | None = self.memo.get(key)
        if found is None:
            found = self.memo[key] = apply_schema(self.schema, self.statement.node)
        return found

    def hold_extension(self) -> tuple[str, str, LockMode] | None:
        """``fold.lock_hold_extension`` of the statement under check (once per statement:
        the ``long-lock-hold`` rule and the transaction fold both need it)."""
        key = ("hold_extension", 0)
        if key not in self.memo:
            node = self.statement.node
            assert node is not None
            self.memo[key] = lock_hold_extension(self.tx, node, self.effects, self.schema)
        found: tuple[str, str, LockMode] | None = self.memo[key]
        return found

    def is_new(self, table: str) -> bool:
        """Created earlier in this file: nobody uses it yet, so locking it harms no one."""
        return self.schema.is_new_table(table)

    def existing_alter_commands(self, node: pgast.Node) -> tuple[tuple[str, str, pgast.Node], ...]:
        """``(table, subtype, AlterTableCmd fields)`` of an ALTER TABLE *node* on a table this
        file did not create (a new table is empty and unused: altering it harms no one);
        computed once per node."""
        key = ("existing_alter_commands", id(node))
        found: tuple[tuple[str, str, pgast.Node], ...] | None = self.memo.get(key)
        if found is None:
            found = ()
            fields = pgast.unwrap(node)
            if pgast.is_table_alter(fields):
                table = pgast.relation_name(fields.get("relation"))
                if not self.is_new(table):
                    found = tuple((table, sub, cmd) for sub, cmd in pgast.alter_commands(fields))
            self.memo[key] = found
        return found

    def is_existing(self, table: str) -> bool:
        return bool(table) and not self.schema.is_new_table(table)

    def gone(self, fields: pgast.Node, key: str) -> bool:
        """``DROP ... IF EXISTS`` (*fields*) of the object *key* (``table:public.t``,
        ``index:...``, ``view:...``) that the history dropped and nothing created again:
        the statement does nothing (see :meth:`Schema.exists`)."""
        return bool(fields.get("missing_ok")) and self.schema.exists(key) is False

    def strongest_existing(
        self, locks: Mapping[str, LockMode], prefer: Sequence[str] = ()
    ) -> tuple[str, LockMode] | None:
        """The strongest of *locks* on a relation that existed before the file, if it blocks
        writes; of equally strong ones, one on a table of *prefer* (the statement's own,
        rather than the far end of a foreign key the same transaction also locked)."""
        found: tuple[str, LockMode] | None = None
        for rel, mode in locks.items():
            if not mode.blocks_writes or self.is_new_relation(rel):
                continue
            if (
                found is None
                or mode.strength > found[1].strength
                or (mode is found[1] and rel in prefer and found[0] not in prefer)
            ):
                found = (rel, mode)
        return found

    def is_new_relation(self, name: str) -> bool:
        """A table or index created earlier in this file (a lock on it harms no one)."""
        return is_new_relation(self.schema, name)

    def reverses(self, kind: str, *names: str) -> bool:
        """In a down migration: the object *names* is one its paired up migration created,
        or the change *kind* gives back what that up changed (see ``Reversal.reverses``
        for the kinds). Undoing the up harms no running code; locks still do."""
        undoing = self.file.undoing
        return undoing is not None and undoing.reverses(self.schema, kind, *names)

    def lock_phrase(self, table: str) -> str:
        mode = self.effects.locks.get(table)
        return mode.describe() if mode else "a lock"

    def report(self, rule: Named, message: str, *, help: str | None = None) -> Report:
        return Report(rule.name, message, help)


@record
class Report:
    """What ``Rule.check`` yields; the engine turns it into a located finding."""

    rule: str
    message: str
    help: str | None = None
    # (table, columns): an index on them created later in the history answers the finding
    # (see ``linter.state.deferred``)
    unless_indexed: tuple[str, tuple[str, ...]] | None = None
    # this finding's own severity, where it differs from the rule's (``Rule.report``)
    severity: Severity | None = None
    # the part of the statement it is about (a column definition, a constraint, an ALTER
    # TABLE command, a dropped object): the finding points there (see ``linter.analysis.spans``)
    at: pgast.Node | None = field(default=None, compare=False)
