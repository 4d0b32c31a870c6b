"""SS012 require-statement-timeout: a write-blocking statement with no statement_timeout."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.effects import LOCKING_STATEMENTS
from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule, Severity
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.advice import set_before
from linter.state.context import Context, Report, first_unguarded_lock
from linter.state.fold import slow_work

# ShareUpdateExclusiveLock and weaker let reads and writes go on: CREATE INDEX CONCURRENTLY and
# VALIDATE CONSTRAINT want a long (or no) statement_timeout, so they are not asked for one.
THRESHOLD = LockMode.SHARE_UPDATE_EXCLUSIVE


class RequireStatementTimeout(Rule):
    code = "SS012"
    name = "require-statement-timeout"
    summary = (
        "A statement scans, rewrites or changes data while it blocks writes on an existing "
        "table, with no statement_timeout"
    )
    why = (
        "Once it has its lock, a statement that holds ShareLock or stronger blocks writes (an "
        "AccessExclusiveLock blocks reads too) for as long as it runs. Without "
        "statement_timeout an unexpectedly slow scan, rewrite or index build keeps the table "
        "blocked with no limit. A catalog-only change (ADD COLUMN without a volatile default, "
        "DROP, RENAME...) is instant once it has its lock, so it is not asked for one: its "
        "wait for the lock is what `require-lock-timeout` bounds. Statements whose strongest "
        "lock is ShareUpdateExclusiveLock or weaker (CREATE INDEX CONCURRENTLY, VALIDATE "
        "CONSTRAINT) are exempt too: they should run long. Reported once per file, at the "
        "first such statement."
    )
    safe_alternative = (
        "`SET statement_timeout = '5s'` (or `SET LOCAL` in the transaction) before blocking "
        "DDL, and `SET statement_timeout = 0` before CREATE INDEX CONCURRENTLY / VALIDATE; or "
        "set it for every file with the `preamble` setting."
    )
    lock = LockMode.SHARE
    severity = Severity.WARNING
    aliases = ("statement_timeout",)
    node_types = LOCKING_STATEMENTS
    examples = (
        Bad("CREATE INDEX accounts_email_idx ON accounts (email);"),
        Bad(
            "ALTER TABLE accounts ALTER COLUMN id TYPE bigint;",
            note="the rewrite runs under an AccessExclusiveLock",
        ),
        Good(
            "SET lock_timeout = '2s';\nALTER TABLE accounts ADD COLUMN nickname text;",
            note="catalog-only: instant once it has its lock, and lock_timeout bounds the wait",
        ),
        Bad(
            "BEGIN;\nSELECT set_config('statement_timeout', '5s', true);\nCOMMIT;\n"
            "CREATE INDEX accounts_email_idx ON accounts (email);",
            note="a local set_config ends with its transaction",
        ),
        Good("SET statement_timeout = '5s';\nCREATE INDEX accounts_email_idx ON accounts (email);"),
        Good(
            "CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);",
            note="ShareUpdateExclusiveLock: reads and writes go on, a long run harms no one",
        ),
        Good(
            "DROP INDEX CONCURRENTLY IF EXISTS accounts_email_idx;",
            history=(
                "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);",
                "CREATE INDEX accounts_email_idx ON accounts (email);",
            ),
            note="the wait for queries using the index blocks no one; its AccessExclusiveLock "
            "comes when none can use it",
        ),
        Good(
            "ALTER TABLE accounts VALIDATE CONSTRAINT accounts_email_check;",
            history=(
                "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);",
                "ALTER TABLE accounts ADD CONSTRAINT accounts_email_check "
                "CHECK (email LIKE '%_@_%') NOT VALID;",
            ),
            note="ShareUpdateExclusiveLock: reads and writes go on during the scan",
        ),
        Good(
            "CREATE INDEX accounts_email_idx ON accounts (email);",
            settings={"preamble": ("SET statement_timeout = '5s'",)},
        ),
        Good("CREATE TABLE accounts (id bigint);\nCREATE INDEX accounts_id_idx ON accounts (id);"),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        if node is not ctx.statement.node or ctx.tx.statement_timeout is not None:
            return
        if pgast.is_concurrent_drop(node):
            return  # it blocks no query (see pgast.is_concurrent_drop)
        work = slow_work(node, ctx.effects, ctx.schema)
        if work is None:
            return  # instant once it has its lock
        earlier = ctx.tx.locked_without_statement_timeout
        strongest = first_unguarded_lock(ctx.schema, ctx.effects, earlier, THRESHOLD)
        if strongest is None:
            return  # no lock on an existing relation, or reported earlier in the file
        rel, mode = strongest
        yield self.report(
            f"this statement holds {mode.describe()} on `{rel}` with no statement_timeout, "
            f"and {work.removeprefix('it ')}: if that runs long, the table stays blocked for "
            "as long as it runs",
            help=set_before("statement_timeout", "5s", ctx.file.layout, ctx.effects.transactional),
        )
