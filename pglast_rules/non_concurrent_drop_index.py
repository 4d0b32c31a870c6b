"""SS002 non-concurrent-drop-index: DROP INDEX without CONCURRENTLY."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.advice import own_migration
from linter.state.context import Context, Report

_ACCOUNTS = (
    "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);",
    "CREATE INDEX accounts_email_idx ON accounts (email);",
)


class NonConcurrentDropIndex(Rule):
    code = "SS002"
    name = "non-concurrent-drop-index"
    summary = "DROP INDEX without CONCURRENTLY locks the table against reads and writes"
    why = (
        "DROP INDEX takes an AccessExclusiveLock on the index's table. It is quick once granted, "
        "but it waits behind every running query on the table and every query queues behind it."
    )
    safe_alternative = "DROP INDEX CONCURRENTLY IF EXISTS, in a migration outside a transaction."
    lock = LockMode.ACCESS_EXCLUSIVE
    aliases = ("require-concurrent-index-deletion", "remove_index", "PG102")
    node_types = ("DropStmt",)
    examples = (
        Bad("DROP INDEX accounts_email_idx;", history=_ACCOUNTS),
        Good("DROP INDEX CONCURRENTLY IF EXISTS accounts_email_idx;", history=_ACCOUNTS),
        Good(
            "CREATE TABLE scratch (id bigint);\nCREATE INDEX scratch_id_idx ON scratch (id);\n"
            "DROP INDEX scratch_id_idx;",
            note="an index on a table created in the same file",
        ),
        Good(
            "BEGIN;\nALTER TABLE accounts DROP COLUMN nickname;\n"
            "DROP INDEX accounts_email_idx;\nCOMMIT;",
            history=(
                "CREATE TABLE accounts (id bigint, email text, nickname text);\n"
                "CREATE INDEX accounts_email_idx ON accounts (email);",
            ),
            note="the transaction already holds AccessExclusiveLock on the table (reported "
            "at the statement that took it): this drop blocks no one more",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        fields = pgast.unwrap(node)
        if fields.get("removeType") != "OBJECT_INDEX" or fields.get("concurrent"):
            return
        for obj in fields.get("objects") or ():
            name = pgast.object_name(obj)
            index = ctx.schema.indexes.get(name)
            if index is not None and ctx.schema.is_new_index(index):
                continue
            if ctx.gone(fields, f"index:{name}"):
                continue  # IF EXISTS of an index the history dropped: nothing to drop
            if ctx.reverses("index", name):
                continue  # a down migration dropping its up's index (require-lock-timeout
                # reports the wait for the lock)
            if index is not None and ctx.tx.held.get(index.table) is LockMode.ACCESS_EXCLUSIVE:
                continue  # the transaction already blocks the table: reported where it began
            where = f" on `{index.table}`" if index is not None else ""
            yield self.report(
                f"DROP INDEX `{name}` takes {LockMode.ACCESS_EXCLUSIVE.describe()}{where}",
                help="use DROP INDEX CONCURRENTLY IF EXISTS, " + own_migration(ctx.file.layout),
                at=obj,
            )
