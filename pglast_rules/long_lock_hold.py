"""SS013 long-lock-hold: slow work in a transaction that already blocks a table."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule, Severity
from linter.sql.pgast import Node
from linter.state.context import Context, Report


class LongLockHold(Rule):
    code = "SS013"
    name = "long-lock-hold"
    summary = "Slow work runs in a transaction that already holds a blocking lock on a table"
    why = (
        "Locks are held until the transaction ends. Once a statement has taken an "
        "AccessExclusiveLock (all reads and writes wait) or a ShareLock or stronger (writes "
        "wait) on an existing table, every later statement of the same transaction that scans, "
        "rewrites, changes data, runs a query or waits for another lock keeps that table "
        "blocked until it finishes. Quick catalog-only statements that need no new lock (more "
        "ALTER TABLE ... ADD COLUMN on the same table, SET, COMMENT) only extend the hold by "
        "milliseconds and are not reported; neither is waiting for a lock on another table "
        "when a lock_timeout bounds the wait, nor a table the slow statement itself locks as "
        "strongly (its own rewrite, scan or lock-wait finding already says the table is "
        "blocked). Reported once per transaction, at the first statement that extends the hold."
    )
    safe_alternative = (
        "COMMIT right after the statement that takes the blocking lock, and run the slow work "
        "(backfills, VALIDATE, index builds, changes to other tables) in later transactions; "
        "combine several changes to one table into a single ALTER TABLE."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    severity = Severity.WARNING
    aliases = ("E4",)
    node_types = (
        "AlterTableStmt",
        "IndexStmt",
        "DropStmt",
        "RenameStmt",
        "ReindexStmt",
        "ClusterStmt",
        "TruncateStmt",
        "CreateTrigStmt",
        "UpdateStmt",
        "DeleteStmt",
        "InsertStmt",
        "MergeStmt",
        "CopyStmt",
        "LockStmt",
        "CreateStmt",
        "RefreshMatViewStmt",
        "SelectStmt",
        "DoStmt",
        "CallStmt",
    )
    examples = (
        Bad(
            "BEGIN;\nALTER TABLE accounts ADD COLUMN plan text;\n"
            "UPDATE accounts SET plan = 'free';\nCOMMIT;",
            note="the backfill runs while every query on accounts waits",
        ),
        Bad(
            "BEGIN;\nALTER TABLE accounts ADD COLUMN plan text;\n"
            "ALTER TABLE orders ADD COLUMN note text;\nCOMMIT;",
            note="with no lock_timeout, the wait for a second table's lock is unbounded "
            "while the first one is held",
        ),
        Bad(
            "ALTER TABLE accounts ADD COLUMN plan text DEFAULT 'free';\n"
            "ALTER TABLE accounts ADD CONSTRAINT accounts_plan_check "
            "CHECK (plan IS NOT NULL) NOT VALID;\n"
            "ALTER TABLE accounts VALIDATE CONSTRAINT accounts_plan_check;",
            settings={"assume_in_transaction": True},
            history=("CREATE TABLE accounts (id bigint PRIMARY KEY, email text);",),
            note="the runner's transaction holds the lock for the whole file",
        ),
        Good(
            "BEGIN;\nALTER TABLE accounts ADD COLUMN plan text;\n"
            "ALTER TABLE accounts ADD COLUMN region text;\nCOMMIT;",
            note="quick catalog-only changes on a table already locked",
        ),
        Good(
            "BEGIN;\nALTER TABLE accounts ADD COLUMN plan text;\n"
            "ALTER TABLE accounts ALTER COLUMN visits TYPE bigint;\nCOMMIT;",
            history=("CREATE TABLE accounts (id bigint PRIMARY KEY, visits int);",),
            note="the rewrite locks accounts as strongly itself: alter-column-type reports it",
        ),
        Good(
            "BEGIN;\nALTER TABLE accounts ADD COLUMN plan text;\nCOMMIT;\n"
            "UPDATE accounts SET plan = 'free';",
            note="the lock was released by COMMIT",
        ),
        Good(
            "BEGIN;\nCREATE TABLE plans (id bigint);\nINSERT INTO plans VALUES (1);\n"
            "UPDATE plans SET id = 2;\nCOMMIT;",
            note="locks on a table created in the same file block no one",
        ),
        Good(
            "BEGIN;\nSET LOCAL lock_timeout = '2s';\nALTER TABLE accounts ADD COLUMN plan text;\n"
            "ALTER TABLE orders ADD COLUMN note text;\nCOMMIT;",
            note="lock_timeout bounds the wait for the second lock",
        ),
        Good(
            "BEGIN;\nALTER TABLE accounts ADD COLUMN plan text;\n"
            "SET LOCAL statement_timeout = '5s';\nCOMMIT;"
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        if node is not ctx.statement.node or ctx.tx.hold_extended_at is not None:
            return  # reported once per transaction, at the first statement extending the hold
        found = ctx.hold_extension()
        if found is None:
            return
        reason, rel, mode = found
        yield self.report(
            f"{reason} while this transaction still holds {mode.describe()} on `{rel}`, "
            "taken by an earlier statement: the table stays blocked until this statement and "
            "every later one of the transaction finish",
            help=(
                "set lock_timeout so the wait is bounded, or COMMIT before touching the next table"
                if reason.startswith("it must first wait")
                else "COMMIT after the statement that takes the lock and run the rest in "
                "later transactions"
            ),
        )
