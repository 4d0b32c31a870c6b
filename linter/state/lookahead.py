"""What the statements of one file create, for rules that look ahead in the file."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ..sql import pgast
from ..sql.parsing import Statement
from .fold import created_keys, rename_source_key, renamed_name

# an index a statement of the file creates (CREATE INDEX, or the index of an added PRIMARY
# KEY / UNIQUE constraint): (statement index, key columns, partial, columns the predicate
# only filters NULLs of; see ``linter.state.deferred.serves``)
CreatedIndex = tuple[int, tuple[str, ...], bool, tuple[str, ...]]

T = TypeVar("T")

_KEYS = frozenset({"CONSTR_PRIMARY", "CONSTR_UNIQUE"})

# transaction statements after which the rest of the file no longer runs in the same
# transaction (ROLLBACK TO SAVEPOINT may undo the statements between)
_ENDS_TRANSACTION = frozenset(
    {
        "TRANS_STMT_COMMIT",
        "TRANS_STMT_ROLLBACK",
        "TRANS_STMT_PREPARE",
        "TRANS_STMT_ROLLBACK_TO",
    }
)


class LookAhead:
    """Answers "does a later statement of this file create this name?".

    Computed once per file on first use (each model key maps to the last statement that
    creates it), so the question costs a dict lookup instead of a re-walk of the rest of
    the file for every DROP or RENAME.
    """

    __slots__ = ("_added", "_built", "_indexes", "_last", "_tx_ends", "statements")

    def __init__(self, statements: Sequence[Statement]) -> None:
        self.statements = statements  # (``parsing.Statements``: decoded when read)
        self._last: dict[str, int] | None = None
        self._indexes: dict[str, list[CreatedIndex]] | None = None
        self._added: dict[tuple[str, str], int] | None = None
        self._tx_ends: list[int] | None = None
        self._built: dict[str, Any] = {}

    def indexed(self, name: str, build: Callable[[Sequence[Statement]], T]) -> T:
        """What *build* makes of the file's statements, once per file (kept under *name*):
        a rule's own index of what later statements do, instead of a walk of the rest of
        the file for each statement it checks."""
        if name not in self._built:
            self._built[name] = build(self.statements)
        found: T = self._built[name]
        return found

    def created_after(self, key: str, index: int) -> bool:
        """Whether a statement after *index* creates *key* (``"view:public.v"``...)."""
        if self._last is None:
            last: dict[str, int] = {}
            for stmt in self.statements:
                for created in created_keys(stmt):
                    last[created] = stmt.index
            self._last = last
        return self._last.get(key, -1) > index

    def indexes_after(self, table: str, index: int) -> Sequence[CreatedIndex]:
        """The indexes that statements after *index* create on *table*, in file order.

        Indexed by table once per file on first use: a file of N foreign keys asks N times,
        and re-walking the rest of the file for each was O(N²)."""
        if self._indexes is None:
            self._indexes = _created_indexes(self.statements)
        found = self._indexes.get(table, ())
        return found[bisect.bisect_right(found, index, key=lambda e: e[0]) :]

    def column_added_at(self, table: str, column: str) -> int:
        """The index of the first statement of the file whose ALTER TABLE adds *column* to
        *table* (``-1``: none). Indexed once per file on first use, as above."""
        if self._added is None:
            added: dict[tuple[str, str], int] = {}
            for stmt in self.statements:
                if stmt.kind != "AlterTableStmt":
                    continue
                table_name = pgast.relation_name(stmt.fields.get("relation"))
                for sub, cmd in pgast.alter_commands(stmt.fields):
                    name = pgast.unwrap(cmd.get("def") or {}, "ColumnDef").get("colname")
                    if sub == "AT_AddColumn" and isinstance(name, str):
                        added.setdefault((table_name, name), stmt.index)
            self._added = added
        return self._added.get((table, column), -1)

    def same_transaction(self, index: int, in_transaction: bool) -> Sequence[Statement]:
        """The statements after *index* that run in the same transaction as it.

        *in_transaction*: statement *index* runs inside a transaction (``TxState``): an
        explicit ``BEGIN`` or the runner's implicit one. None in autocommit; otherwise up to
        the first ``COMMIT``, ``ROLLBACK`` (to a savepoint too), ``PREPARE TRANSACTION`` or
        unreadable statement.
        """
        if not in_transaction:
            return ()
        return self.statements[index + 1 : self.transaction_end(index)]

    def in_same_transaction(self, found: Sequence[int], index: int, in_transaction: bool) -> bool:
        """Whether one of the statements *found* (indexes, in file order) is among
        :meth:`same_transaction`'s, without walking them."""
        if not in_transaction:
            return False
        first = bisect.bisect_right(found, index)
        return first < len(found) and found[first] < self.transaction_end(index)

    def transaction_end(self, index: int) -> int:
        """The index of the first statement after *index* that ends its transaction (see
        :meth:`same_transaction`; the statement count when none does). Found for every
        statement in one pass, on first use."""
        if self._tx_ends is None:
            count = len(self.statements)
            ends = [count] * (count + 1)
            for position in range(count - 1, -1, -1):
                ends[position] = (
                    position if _ends_transaction(self.statements[position]) else ends[position + 1]
                )
            self._tx_ends = ends
        return self._tx_ends[min(index + 1, len(self.statements))]


def _ends_transaction(stmt: Statement) -> bool:
    return stmt.node is None or (
        stmt.kind == "TransactionStmt" and stmt.fields.get("kind") in _ENDS_TRANSACTION
    )


def _created_indexes(statements: Sequence[Statement]) -> dict[str, list[CreatedIndex]]:
    """Table -> the indexes the *statements* create on it, in statement order."""
    out: dict[str, list[CreatedIndex]] = {}
    for stmt in statements:
        if stmt.node is None:
            continue
        kind = stmt.kind
        if kind not in ("IndexStmt", "AlterTableStmt"):
            continue
        fields = stmt.fields
        table = pgast.relation_name(fields.get("relation"))
        if kind == "IndexStmt":
            where = fields.get("whereClause")
            out.setdefault(table, []).append(
                (
                    stmt.index,
                    pgast.index_columns(fields.get("indexParams")),
                    bool(where),
                    pgast.null_filtered(where),
                )
            )
            continue
        for sub, cmd in pgast.alter_commands(fields):
            con = pgast.unwrap(cmd.get("def") or {}, "Constraint")
            if sub == "AT_AddConstraint" and con.get("contype") in _KEYS:
                keys = pgast.strings(con.get("keys"))
                out.setdefault(table, []).append((stmt.index, keys, False, ()))
    return out


def redefined_in_file(ahead: LookAhead, index: int, key: str) -> bool:
    """Whether dropping *key* at statement *index* is part of redefining it in the same file.

    True when the file creates the name again after the drop (``DROP VIEW v; CREATE VIEW v``),
    or when the dropped name came from a rename earlier in the file whose old name the file
    creates again (``ALTER TYPE t RENAME TO t_old; CREATE TYPE t ...; DROP TYPE t_old``).
    """
    if ahead.created_after(key, index):
        return True
    return any(
        at < index and ahead.created_after(source, at)
        for at, source in ahead.indexed("fold:renamed-to", _renamed_to).get(key, ())
    )


def _renamed_to(statements: Sequence[Statement]) -> dict[str, list[tuple[int, str]]]:
    """Key a rename of the file gives -> ``(statement index, the key it had)``, in file
    order (once per file: a walk of the earlier statements for every DROP was quadratic)."""
    out: dict[str, list[tuple[int, str]]] = {}
    for stmt in statements:
        fields = pgast.unwrap(stmt.node or {}, "RenameStmt")
        source = rename_source_key(fields) if fields else None
        if source is not None:
            key = f"{source.split(':', 1)[0]}:{renamed_name(fields)}"
            out.setdefault(key, []).append((stmt.index, source))
    return out
