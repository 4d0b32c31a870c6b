"""What the statements of one file create, for rules that look ahead in the file."""

from __future__ import annotations

from collections.abc import Sequence

from .parsing import Statement

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

    __slots__ = ("_last", "statements")

    def __init__(self, statements: Sequence[Statement]) -> None:
        self.statements = tuple(statements)
        self._last: dict[str, int] | None = None

    def created_after(self, key: str, index: int) -> bool:
        """Whether a statement after *index* creates *key* (``"view:public.v"``...)."""
        if self._last is None:
            from .fold import created_keys  # fold imports the context, which imports this

            last: dict[str, int] = {}
            for stmt in self.statements:
                for created in created_keys(stmt):
                    last[created] = stmt.index
            self._last = last
        return self._last.get(key, -1) > index

    def same_transaction(self, index: int, in_transaction: bool) -> tuple[Statement, ...]:
        """The statements after *index* that run in the same transaction as it.

        *in_transaction*: statement *index* runs inside a transaction (``TxState``): an
        explicit ``BEGIN`` or the runner's implicit one. None in autocommit; otherwise up to
        the first ``COMMIT``, ``ROLLBACK`` (to a savepoint too), ``PREPARE TRANSACTION`` or
        unreadable statement.
        """
        if not in_transaction:
            return ()
        rest = self.statements[index + 1 :]
        for position, stmt in enumerate(rest):
            if stmt.node is None or (
                stmt.kind == "TransactionStmt" and stmt.fields.get("kind") in _ENDS_TRANSACTION
            ):
                return rest[:position]
        return rest
