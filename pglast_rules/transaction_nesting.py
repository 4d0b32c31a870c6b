"""SS015 transaction-nesting: BEGIN inside a transaction, COMMIT/ROLLBACK outside one."""

from __future__ import annotations

from collections.abc import Iterator

from linter import pgast
from linter.context import Context, Report
from linter.parsing import Statement
from linter.pgast import Node
from linter.rule import Bad, Good, Rule

_BEGIN = frozenset({"TRANS_STMT_BEGIN", "TRANS_STMT_START"})
_END = frozenset({"TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE"})
_NEEDS_TX = frozenset({"TRANS_STMT_SAVEPOINT", "TRANS_STMT_RELEASE", "TRANS_STMT_ROLLBACK_TO"})
_WORDS = {
    "TRANS_STMT_COMMIT": "COMMIT",
    "TRANS_STMT_ROLLBACK": "ROLLBACK",
    "TRANS_STMT_PREPARE": "PREPARE TRANSACTION",
    "TRANS_STMT_SAVEPOINT": "SAVEPOINT",
    "TRANS_STMT_RELEASE": "RELEASE SAVEPOINT",
    "TRANS_STMT_ROLLBACK_TO": "ROLLBACK TO SAVEPOINT",
}


def _outside_after(ctx: Context, index: int) -> Statement | None:
    """The statement after *index* when it would run outside any transaction (it is not a
    BEGIN), else ``None``."""
    statements = ctx.file.statements
    for position in range(index + 1, len(statements)):
        stmt = statements[position]  # (not a walk from the start: a large file's
        if stmt.node is None:  # statements are decoded when read, see linter.parsing)
            continue
        kind = pgast.unwrap(stmt.node).get("kind", "") if stmt.kind == "TransactionStmt" else ""
        return None if kind in _BEGIN else stmt
    return None


def _end_of_block(ctx: Context) -> Statement | None:
    """The COMMIT/ROLLBACK that closes the BEGIN under check."""
    for stmt in ctx.file.statements[ctx.statement.index + 1 :]:
        if stmt.kind == "TransactionStmt":
            if pgast.unwrap(stmt.node or {}).get("kind", "") in _END:
                return stmt
    return None


class TransactionNesting(Rule):
    code = "SS015"
    name = "transaction-nesting"
    summary = "BEGIN inside an open transaction, or COMMIT/ROLLBACK with none open"
    why = (
        "PostgreSQL has no nested transactions: a second BEGIN only warns, and the first "
        "COMMIT ends the outer transaction, so the statements after it run outside the "
        "transaction the author meant. When the runner wraps each file in a transaction "
        "(`assume-in-transaction`), a COMMIT written in the file commits the runner's "
        "transaction half-way, and what follows runs outside any transaction: a later failure "
        "can no longer roll the whole migration back (a COMMIT that ends the file, or is "
        "followed at once by BEGIN, is harmless and not reported). "
        "COMMIT or ROLLBACK with no transaction open does nothing, which hides a mistake."
    )
    safe_alternative = (
        "Write one BEGIN ... COMMIT pair per transaction; when the runner already wraps the "
        "file in a transaction, write no BEGIN/COMMIT at all (or disable the runner's "
        "transaction for that file); use SAVEPOINT for partial rollback."
    )
    aliases = ()
    node_types = ("TransactionStmt",)
    examples = (
        Bad("BEGIN;\nBEGIN;\nALTER TABLE accounts ADD COLUMN plan text;\nCOMMIT;\nCOMMIT;"),
        Bad("ALTER TABLE accounts ADD COLUMN plan text;\nCOMMIT;"),
        Bad(
            "BEGIN;\nALTER TABLE accounts ADD COLUMN plan text;\nCOMMIT;\n"
            "ALTER TABLE accounts ADD COLUMN region text;",
            settings={"assume_in_transaction": True},
            note="the runner already wraps the file in a transaction: the last ALTER runs "
            "outside it",
        ),
        Good(
            "BEGIN;\nALTER TABLE accounts ADD COLUMN plan text;\nCOMMIT;",
            settings={"assume_in_transaction": True},
            note="nothing runs after the COMMIT: the file is still one transaction",
        ),
        Good(
            "DELETE FROM sessions;\nCOMMIT;\nBEGIN;\nALTER TABLE sessions ADD COLUMN token text;",
            settings={"assume_in_transaction": True},
            note="a deliberate split: a new transaction starts right after the COMMIT, and the "
            "runner commits it",
        ),
        Bad("SAVEPOINT before_plan;"),
        Good("BEGIN;\nALTER TABLE accounts ADD COLUMN plan text;\nCOMMIT;"),
        Good(
            "BEGIN;\nALTER TABLE accounts ADD COLUMN plan text;\nCOMMIT;\n"
            "BEGIN;\nALTER TABLE accounts ADD COLUMN region text;\nROLLBACK;"
        ),
        Good(
            "ALTER TABLE accounts ADD COLUMN plan text;\nSAVEPOINT s;\nROLLBACK TO SAVEPOINT s;",
            settings={"assume_in_transaction": True},
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        kind = pgast.unwrap(node).get("kind", "")
        tx = ctx.tx
        if kind in _BEGIN:
            if tx.explicit:
                yield self.report(
                    "BEGIN inside a transaction that is already open: PostgreSQL ignores it, "
                    "and the first COMMIT ends the outer transaction",
                    help="remove the inner BEGIN (and its COMMIT)",
                )
            elif tx.implicit and not tx.single_query:
                # (in a multi-statement query's implicit block, BEGIN only makes it explicit)
                end = _end_of_block(ctx)
                after = _outside_after(ctx, end.index) if end is not None else None
                if end is not None and after is not None:
                    line, _ = ctx.file.lines.position(after.start)
                    yield self.report(
                        "BEGIN inside the runner's transaction (assume-in-transaction) is "
                        "ignored, so its COMMIT ends the runner's transaction: the statements "
                        f"from line {line} on run outside any transaction",
                        help="remove BEGIN/COMMIT from the file, or run this file without the "
                        "runner's transaction",
                    )
        elif kind in _END:
            word = _WORDS[kind]
            if not tx.in_transaction:
                yield self.report(
                    f"{word} with no transaction open: it does nothing (PostgreSQL only warns)",
                    help="remove it, or add the BEGIN it was meant to close",
                )
            elif (
                not tx.explicit
                and not tx.single_query  # the rest of the query runs in a new implicit block
                and _outside_after(ctx, ctx.statement.index) is not None
            ):
                yield self.report(
                    f"{word} ends the runner's transaction (assume-in-transaction): the rest "
                    "of the file runs outside it, and the runner's own COMMIT finds none open",
                    help="remove it, or run this file without the runner's transaction",
                )
        elif kind in _NEEDS_TX and not (tx.explicit or (tx.implicit and not tx.single_query)):
            where = (
                "in the implicit transaction of a multi-statement query"
                if tx.single_query
                else "outside a transaction block"
            )
            yield self.report(
                f"{_WORDS[kind]} {where} fails",
                help="open a transaction with BEGIN first",
            )
