"""SS120 do-block-commit-in-transaction: a DO block's COMMIT or ROLLBACK inside a transaction."""

from __future__ import annotations

from collections.abc import Iterator

from linter.rule import Bad, Good, Rule
from linter.sql.pgast import Node
from linter.sql.plpgsql import control_flow, file_line
from linter.state.context import Context, Report

_LOOP = (
    "DO $$\nBEGIN\n  LOOP\n    UPDATE accounts SET plan = 'free'\n"
    "     WHERE id IN (SELECT id FROM accounts WHERE plan IS NULL ORDER BY id LIMIT 1000);\n"
    "    EXIT WHEN NOT FOUND;\n    COMMIT;\n  END LOOP;\nEND\n$$;"
)
_ACCOUNTS = ("CREATE TABLE accounts (id bigint PRIMARY KEY, plan text);",)


class DoBlockCommitInTransaction(Rule):
    code = "SS120"
    name = "do-block-commit-in-transaction"
    summary = "A DO block that runs COMMIT or ROLLBACK inside a transaction"
    why = (
        "A DO block may end transactions (a batched backfill commits after each batch) only "
        "when it runs on its own, outside any transaction block. Run inside one (the "
        "runner's transaction, the file's BEGIN, or a file sent as one multi-statement "
        'query), it fails with "invalid transaction termination" as soon as it reaches the '
        "COMMIT or ROLLBACK, and the migration fails (often only in production, where the "
        "loop finds rows to change)."
    )
    safe_alternative = (
        "Run the file without the runner's transaction (its per-file opt-out, e.g. "
        "`-- postgres-migrations disable-transaction`, `-- +goose NO TRANSACTION`), with no "
        "BEGIN around the block and no other statement in the file."
    )
    aliases = ("invalid-transaction-termination",)
    node_types = ("DoStmt",)
    examples = (
        Bad(_LOOP, history=_ACCOUNTS, settings={"assume_in_transaction": True}),
        Bad("BEGIN;\n" + _LOOP + "\nCOMMIT;", history=_ACCOUNTS),
        Good(_LOOP, history=_ACCOUNTS, note="run on its own, the block commits each batch"),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        if node is not ctx.statement.node or not ctx.tx.in_transaction:
            return
        flow = control_flow(node)
        if not flow.ends:
            return
        end = flow.ends[0]
        st = ctx.statement
        line = file_line(ctx.file.text, st.start, st.end, end.line)
        at = f" (line {line})" if line is not None else ""
        if ctx.tx.explicit:
            where = "the transaction opened by BEGIN"
        elif ctx.tx.single_query:
            where = "the implicit transaction of a file sent as one multi-statement query"
        else:
            where = "the runner's transaction"
        loop = " in a loop" if end.in_loop else ""
        yield self.report(
            f"this DO block runs {end.word}{at}{loop} inside {where}: it fails with "
            '"invalid transaction termination" when it gets there',
            help="run this file outside any transaction (the runner's per-file opt-out), "
            "with the DO block as its only statement",
        )
