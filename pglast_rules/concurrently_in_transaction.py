"""SS003 concurrently-in-transaction: a CONCURRENTLY operation inside a transaction."""

from __future__ import annotations

from collections.abc import Iterator

from linter.rule import Bad, Good, Rule
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.advice import own_migration
from linter.state.context import Context, Report


def _is_concurrent(kind: str, fields: Node) -> str | None:
    if kind == "IndexStmt" and fields.get("concurrent"):
        return "CREATE INDEX CONCURRENTLY"
    if kind == "DropStmt" and fields.get("concurrent"):
        return "DROP INDEX CONCURRENTLY"
    if kind == "ReindexStmt" and any(
        pgast.unwrap(p, "DefElem").get("defname") == "concurrently"
        for p in fields.get("params") or ()
    ):
        return "REINDEX CONCURRENTLY"
    if kind == "AlterTableStmt":
        for item in fields.get("cmds") or ():
            cmd = pgast.unwrap(item, "AlterTableCmd")
            part = pgast.unwrap(cmd.get("def") or {}, "PartitionCmd")
            if cmd.get("subtype") == "AT_DetachPartition" and part.get("concurrent"):
                return "DETACH PARTITION CONCURRENTLY"
    return None


class ConcurrentlyInTransaction(Rule):
    code = "SS003"
    name = "concurrently-in-transaction"
    summary = "CONCURRENTLY cannot run inside a transaction block"
    why = (
        "CREATE INDEX CONCURRENTLY, DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY and DETACH "
        "PARTITION CONCURRENTLY commit internally; PostgreSQL refuses them inside BEGIN ... "
        "COMMIT or a runner's wrapping transaction, so the migration fails when it is deployed."
    )
    safe_alternative = (
        "Put the statement in its own migration that the runner executes without a transaction "
        "(golang-migrate and Prisma: alone in its file; dbmate: `-- migrate:up "
        "transaction:false`, alone in its file; Flyway: `executeInTransaction=false`). Where "
        "the runner sends a file as one query, even a `SET lock_timeout` before it puts it in "
        "a transaction block: set the timeout on the migration connection instead."
    )
    aliases = ("ban-concurrent-index-creation-in-transaction", "PG103")
    node_types = ("IndexStmt", "DropStmt", "ReindexStmt", "AlterTableStmt")
    alter_subtypes = ("AT_DetachPartition",)
    examples = (
        Bad("BEGIN;\nCREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);\nCOMMIT;"),
        Bad(
            "CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);",
            settings={"assume_in_transaction": True},
            note="the runner wraps every file in a transaction",
        ),
        Good("CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);"),
        Good("BEGIN;\nCREATE INDEX accounts_email_idx ON accounts (email);\nCOMMIT;"),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        if not ctx.tx.in_transaction:
            return
        kind = pgast.kind(node)
        what = _is_concurrent(kind, node[kind])
        if what is None:
            return
        where = "a BEGIN block" if ctx.tx.explicit else "the runner's transaction"
        yield self.report(
            f"{what} inside {where} fails: PostgreSQL refuses it in a transaction block",
            help=f"move it {own_migration(ctx.file.layout)}",
        )
