"""SS015 transaction-nesting: BEGIN inside a transaction, COMMIT/ROLLBACK outside one."""

from __future__ import annotations

from collections.abc import Iterator

from linter.rule import Bad, Good, Rule
from linter.sql import pgast
from linter.sql.parsing import Statement
from linter.sql.pgast import Node
from linter.state.context import Context, Report

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


def _next(ctx: Context, index: int) -> Statement | None:
    """The statement after *index*, if any."""
    statements = ctx.file.statements
    for position in range(index + 1, len(statements)):
        stmt = statements[position]  # (not a walk from the start: a large file's
        if stmt.node is not None:  # statements are decoded when read, see linter.sql.parsing)
            return stmt
    return None


def _is_begin(stmt: Statement) -> bool:
    return stmt.kind == "TransactionStmt" and pgast.unwrap(stmt.node or {}).get("kind") in _BEGIN


def _outside_after(ctx: Context, index: int) -> Statement | None:
    """The statement after *index* when it would run outside any transaction (it is not a
    BEGIN), else ``None``."""
    stmt = _next(ctx, index)
    return None if stmt is None or _is_begin(stmt) else stmt


def _word(stmt: Statement) -> str:
    return _WORDS.get(pgast.unwrap(stmt.node or {}).get("kind", ""), "")


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
        "(its layout's default, or `assume-in-transaction`), a COMMIT written in the file "
        "ends the runner's transaction early: what follows runs outside any transaction (a "
        "later failure can no longer roll the whole migration back), or, after a BEGIN, in a "
        "second transaction (a failure there leaves the migration half applied and "
        "unrecorded), and at the end of the file the runner records the migration outside "
        "the transaction that applied it. A ROLLBACK there undoes the migration, which the "
        "runner then records as applied. (A file sent as one multi-statement query, as "
        "golang-migrate and Prisma do, is one implicit transaction block: a COMMIT in it "
        "only starts a new block.) "
        "COMMIT or ROLLBACK with no transaction open does nothing, which hides a mistake."
    )
    safe_alternative = (
        "Write one BEGIN ... COMMIT pair per transaction; when the runner already wraps the "
        "file in a transaction, write no BEGIN/COMMIT/ROLLBACK at all (or disable the "
        "runner's transaction for that file, or split it into one migration per "
        "transaction); use SAVEPOINT for partial rollback."
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
        Bad(
            "BEGIN;\nALTER TABLE accounts ADD COLUMN plan text;\nCOMMIT;",
            settings={"assume_in_transaction": True},
            note="the runner records the migration after the file's COMMIT, outside the "
            "transaction that applied it",
        ),
        Bad(
            "DELETE FROM sessions;\nCOMMIT;\nBEGIN;\nALTER TABLE sessions ADD COLUMN token text;",
            settings={"assume_in_transaction": True},
            note="two transactions in one migration: when the ALTER fails, the DELETE is "
            "already committed and the migration is not recorded",
        ),
        Bad(
            "ALTER TABLE accounts ADD COLUMN plan text;\nROLLBACK;",
            settings={"assume_in_transaction": True},
            note="the migration is undone, and recorded as applied",
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
                commits = end is not None and _word(end) != "ROLLBACK"  # (ROLLBACK: reported there)
                after = _outside_after(ctx, end.index) if end is not None and commits else None
                if after is not None:
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
            elif word == "ROLLBACK" and tx.implicit:
                yield self.report(
                    "ROLLBACK in a file the runner runs in one transaction"
                    + (" (one multi-statement query)" if tx.single_query else "")
                    + " undoes everything the file did before it, yet the runner goes on and "
                    "records the migration as applied",
                    help="remove it (to try a migration out, roll back outside the file)",
                )
            elif tx.implicit and not tx.single_query:
                # (in a multi-statement query the rest runs in a new implicit block)
                yield from self._early_commit(ctx, word)
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

    def _early_commit(self, ctx: Context, word: str) -> Iterator[Report]:
        """COMMIT (or PREPARE TRANSACTION) inside the runner's transaction."""
        following = _next(ctx, ctx.statement.index)
        if following is None:
            yield self.report(
                f"{word} commits the runner's transaction before the runner records the "
                "migration: the record is written outside it, and the runner's own COMMIT "
                "finds no transaction open",
                help="remove BEGIN/COMMIT from the file: the runner commits it",
            )
        elif _is_begin(following):
            yield self.report(
                f"{word} splits the runner's transaction in two: what came before it is "
                "committed on its own, so when the rest fails the migration is half applied "
                "and not recorded, and the next run repeats the first part",
                help="split the file into two migrations, or remove the COMMIT and BEGIN",
            )
        elif not ctx.tx.explicit:  # (after the file's own BEGIN, the BEGIN was reported)
            yield self.report(
                f"{word} ends the runner's transaction (assume-in-transaction): the rest "
                "of the file runs outside it, and the runner's own COMMIT finds none open",
                help="remove it, or run this file without the runner's transaction",
            )
