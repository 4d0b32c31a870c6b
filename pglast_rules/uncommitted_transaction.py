"""SS016 uncommitted-transaction: a BEGIN with no COMMIT or ROLLBACK by the end of the file."""

from __future__ import annotations

from collections.abc import Iterator

from linter.rule import Bad, Good, Rule
from linter.state.context import Context, Report


class UncommittedTransaction(Rule):
    code = "SS016"
    name = "uncommitted-transaction"
    summary = "A transaction opened with BEGIN is never committed"
    why = (
        "When the file ends inside BEGIN ... with no COMMIT, what happens depends on the "
        "runner: psql and most drivers roll the open transaction back when the session "
        "closes, silently undoing the migration, while others leave the session idle in "
        "transaction, holding every lock it took. The finding is reported at the last "
        "statement of the file."
    )
    safe_alternative = "End every BEGIN with COMMIT (or ROLLBACK) in the same file."
    aliases = ("ban-uncommitted-transaction",)
    examples = (
        Bad("BEGIN;\nALTER TABLE accounts ADD COLUMN plan text;"),
        Bad(
            "BEGIN;\nALTER TABLE accounts ADD COLUMN plan text;\nCOMMIT;\n"
            "BEGIN;\nALTER TABLE accounts ADD COLUMN region text;"
        ),
        Good("BEGIN;\nALTER TABLE accounts ADD COLUMN plan text;\nCOMMIT;"),
        Good("BEGIN;\nALTER TABLE accounts ADD COLUMN plan text;\nROLLBACK;"),
        Good(
            "DELETE FROM sessions;\nCOMMIT;\nBEGIN;\nALTER TABLE sessions ADD COLUMN token text;",
            settings={"assume_in_transaction": True},
            note="the runner's COMMIT after the file closes the second transaction",
        ),
        Good(
            "BEGIN;\nALTER TABLE accounts ADD COLUMN plan text;",
            settings={"assume_in_transaction": True},
            note="the runner commits its transaction after the file (transaction-nesting "
            "reports the stray BEGIN)",
        ),
    )

    def finish(self, ctx: Context) -> Iterator[Report]:
        tx = ctx.tx
        if not tx.explicit or tx.implicit or ctx.settings.assume_in_transaction:
            return  # with a runner transaction, the runner's final COMMIT closes it
        where = f"statement {tx.began_at + 1}" if tx.began_at is not None else "BEGIN"
        yield self.report(
            f"the transaction opened by BEGIN ({where} of the file) is never committed: the "
            "migration is rolled back, or left holding its locks, when the session ends",
            help="add COMMIT; at the end of the file",
        )
