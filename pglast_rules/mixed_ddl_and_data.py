"""SS056 mixed-ddl-and-data: one transaction both changes the schema and changes data."""

from __future__ import annotations

from collections.abc import Iterator

from linter.rule import Bad, Good, Rule, Severity
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.context import Context, Report
from linter.state.fold import data_target, is_ddl


class MixedDdlAndData(Rule):
    code = "SS056"
    name = "mixed-ddl-and-data"
    summary = "A transaction that changes both the schema and the data of tables in use"
    why = (
        "DDL locks are held until the transaction ends. When the same transaction also "
        "changes data, the DDL's lock (often an AccessExclusiveLock) is held for as long as the "
        "data change takes, and the row locks of an earlier data change are held while the "
        "DDL queues for its lock: reads and writes pile up, and a failure late in the data "
        "change rolls back the schema change too."
    )
    safe_alternative = (
        "Put schema changes and data changes in separate migrations (or separate "
        "transactions): first the DDL, short and with a lock_timeout; then the data change, "
        "batched, without DDL."
    )
    severity = Severity.WARNING
    node_types = (
        "AlterTableStmt",
        "IndexStmt",
        "CreateStmt",
        "DropStmt",
        "RenameStmt",
        "CreateTrigStmt",
        "TruncateStmt",
        "ClusterStmt",
        "ReindexStmt",
        "RefreshMatViewStmt",
        "InsertStmt",
        "UpdateStmt",
        "DeleteStmt",
        "MergeStmt",
        "CopyStmt",
    )
    examples = (
        Bad(
            "BEGIN;\nALTER TABLE accounts ADD COLUMN plan text;\n"
            "UPDATE accounts SET plan = 'free' WHERE plan IS NULL;\n"
            "UPDATE accounts SET plan = 'paid' WHERE plan = 'free';\nCOMMIT;",
            note="reported once, at the first data change",
        ),
        Bad(
            "UPDATE accounts SET email = lower(email) WHERE email <> lower(email);\n"
            "CREATE UNIQUE INDEX accounts_email_key ON accounts (email);",
            settings={"assume_in_transaction": True},
            note="the runner's transaction keeps the UPDATE's row locks while the index builds",
        ),
        Good(
            "BEGIN;\nCREATE TABLE plans (id bigint PRIMARY KEY, name text);\n"
            "INSERT INTO plans VALUES (1, 'free'), (2, 'paid');\nCOMMIT;",
            note="seeding a table created in the same transaction",
        ),
        Good(
            "BEGIN;\nALTER TABLE accounts ADD COLUMN plan text;\nCOMMIT;\n"
            "UPDATE accounts SET plan = 'free' WHERE id < 1000;",
            note="separate transactions",
        ),
        Good(
            "ALTER TABLE accounts ADD COLUMN plan text;\n"
            "UPDATE accounts SET plan = 'free' WHERE id < 1000;",
            note="no transaction around the file: each statement commits on its own",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        if node is not ctx.statement.node or not ctx.tx.in_transaction:
            return
        tx = ctx.tx
        # state before the statement; the costlier facts only when they can matter
        data_before = {t for t in tx.dml_tables if not ctx.is_new(t)}
        data_now = {t for t in data_target(node) if not ctx.is_new(t)}
        kind = pgast.kind(node)
        if data_now and not data_before:
            ddl_before = ctx.strongest_existing(tx.held, sorted(data_now))
            ddl_now = None
        elif data_before and is_ddl(kind):
            ddl_before = ctx.strongest_existing(tx.held)
            if ddl_before:
                return  # already mixed (and reported) earlier in this transaction
            ddl_now = ctx.strongest_existing(ctx.effects.locks, sorted(data_before))
        else:
            return
        if data_now and ddl_before:
            rel, mode = ddl_before
            table = next(iter(sorted(data_now)))
            yield self.report(
                f"this transaction changed the schema (it holds {mode.describe()} on `{rel}`) "
                f"and now changes the data of `{table}`: the lock stays held while it runs",
                help="move the data change to its own migration or transaction, batched",
            )
        elif ddl_now and data_before:
            rel, mode = ddl_now
            table = next(iter(sorted(data_before)))
            yield self.report(
                f"this transaction changed the data of `{table}` and now takes "
                f"{mode.describe()} on `{rel}`: the rows stay locked while it waits and runs",
                help="run the DDL in its own transaction, before or after the data change",
            )
