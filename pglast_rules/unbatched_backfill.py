"""SS055 unbatched-backfill: UPDATE/DELETE of a whole table, or inside a DDL transaction."""

from __future__ import annotations

from collections.abc import Iterator

from linter import pgast
from linter.context import Context, Report
from linter.locks import LockMode
from linter.pgast import Node
from linter.rule import Bad, Good, Rule, Severity

_HELP = (
    "backfill in batches of a few thousand rows (e.g. WHERE id > last_id ORDER BY id LIMIT "
    "n in a loop), each batch in its own transaction, in a migration without DDL"
)


def strong_existing_lock(ctx: Context) -> tuple[str, LockMode] | None:
    """The strongest lock this transaction holds on an existing relation, if it blocks writes."""
    found: tuple[str, LockMode] | None = None
    for rel, mode in ctx.tx.held.items():
        if not mode.blocks_writes or ctx.is_new_relation(rel):
            continue
        if found is None or mode.strength > found[1].strength:
            found = (rel, mode)
    return found


class UnbatchedBackfill(Rule):
    code = "SS055"
    name = "unbatched-backfill"
    summary = "An UPDATE or DELETE of a whole table, or one run inside a DDL transaction"
    why = (
        "An UPDATE or DELETE without WHERE changes every row in one transaction: each row stays "
        "locked until commit (concurrent writes to it wait), the table bloats with dead rows, "
        "and the WAL burst delays replicas. Run in the same transaction as DDL, it also keeps "
        "the DDL's locks (often AccessExclusiveLock) for as long as the data change takes."
    )
    safe_alternative = (
        "Backfill in small batches (a few thousand rows by primary-key range), each in its "
        "own transaction, from a migration that contains no DDL (or a background job), "
        "pausing between batches."
    )
    lock = LockMode.ROW_EXCLUSIVE
    severity = Severity.WARNING
    node_types = ("UpdateStmt", "DeleteStmt")
    examples = (
        Bad(
            "UPDATE accounts SET plan = 'free';",
            history=("CREATE TABLE accounts (id bigint PRIMARY KEY, plan text);",),
        ),
        Bad("DELETE FROM sessions;"),
        Bad(
            "BEGIN;\nALTER TABLE accounts ADD COLUMN plan text;\n"
            "UPDATE accounts SET plan = 'free' WHERE plan IS NULL;\nCOMMIT;",
            note="the AccessExclusiveLock of the ALTER is held until the UPDATE finishes",
        ),
        Bad(
            "ALTER TABLE accounts ADD COLUMN plan text;\n"
            "UPDATE accounts SET plan = 'free' WHERE plan IS NULL;",
            settings={"assume_in_transaction": True},
            note="the runner wraps the file in one transaction",
        ),
        Good(
            "UPDATE accounts SET plan = 'free' WHERE id BETWEEN 1 AND 5000;",
            history=("CREATE TABLE accounts (id bigint PRIMARY KEY, plan text);",),
        ),
        Good(
            "CREATE TABLE plans (id bigint, name text);\nUPDATE plans SET name = lower(name);",
            note="a table created in the same file is empty",
        ),
        Good(
            "BEGIN;\nCREATE TABLE plans (id bigint, name text);\n"
            "UPDATE accounts SET plan = 'free' WHERE id < 1000;\nCOMMIT;",
            history=("CREATE TABLE accounts (id bigint PRIMARY KEY, plan text);",),
            note="the only DDL created a new table: it locks nothing anyone uses",
        ),
        Good(
            "ALTER TABLE accounts ADD COLUMN plan text;\n"
            "UPDATE accounts SET plan = 'free' WHERE id < 1000;",
            history=("CREATE TABLE accounts (id bigint PRIMARY KEY, email text);",),
            note="without a transaction the ALTER's lock is gone before the UPDATE starts",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        if node is not ctx.statement.node:
            return  # inside a rule action or a CTE: not a statement of its own
        kind = pgast.kind(node)
        fields = node[kind]
        table = pgast.relation_name(fields.get("relation"))
        if not table or ctx.is_new(table) or pgast.is_catalog(table):
            return
        verb = "UPDATE" if kind == "UpdateStmt" else "DELETE"
        held = strong_existing_lock(ctx) if ctx.tx.in_transaction and ctx.tx.ddl else None
        if not fields.get("whereClause"):
            extra = (
                f", while the transaction holds {held[1].describe()} on `{held[0]}`" if held else ""
            )
            yield self.report(
                f"{verb} without WHERE changes every row of `{table}` in one transaction: rows "
                f"stay locked until commit, and the table bloats{extra}",
                help=_HELP,
            )
        elif held:
            yield self.report(
                f"{verb} on `{table}` runs in the same transaction as DDL: "
                f"{held[1].describe()} on `{held[0]}` stays held until it finishes",
                help=_HELP,
            )
