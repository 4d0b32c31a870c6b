"""SS011 require-lock-timeout: a blocking lock on an existing table with no lock_timeout."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.effects import LOCKING_STATEMENTS
from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule, Severity
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.advice import set_before
from linter.state.context import Context, Report, strongest_existing_lock

THRESHOLD = LockMode.ROW_EXCLUSIVE  # DML's own lock: anything stronger blocks someone


def queues_queries(mode: LockMode) -> bool:
    """A lock whose queued request holds back reads or writes (SHARE and stronger);
    ShareUpdateExclusiveLock (CREATE INDEX CONCURRENTLY, VALIDATE CONSTRAINT) holds back
    only other DDL and VACUUM."""
    return mode.blocks_reads or mode.blocks_writes


def _severity(mode: LockMode) -> Severity:
    return Severity.ERROR if queues_queries(mode) else Severity.WARNING


class RequireLockTimeout(Rule):
    code = "SS011"
    name = "require-lock-timeout"
    summary = "A statement waits for a blocking lock on an existing table with no lock_timeout"
    why = (
        "A statement that needs a lock stronger than RowExclusiveLock waits behind every "
        "transaction that touches the table; while it waits, its queued request blocks every "
        "later query that conflicts with it (for an AccessExclusiveLock: all reads and "
        "writes). Without lock_timeout the wait is unbounded, so one long-running query turns "
        "a millisecond ALTER into an outage. Reported once per file, at the first such "
        "statement: an error for a lock that queues reads or writes (SHARE and stronger), "
        "a warning for ShareUpdateExclusiveLock (CREATE INDEX CONCURRENTLY, VALIDATE "
        "CONSTRAINT), which queues only other DDL and VACUUM, and again as an error at the "
        "first stronger lock after such a warning."
    )
    safe_alternative = (
        "Start the file (or the transaction, with `SET LOCAL`) with `SET lock_timeout = "
        "'2s'` and retry the migration when it times out; or let the runner set it for every "
        "file with the `preamble` setting (e.g. `preamble = [\"SET lock_timeout = '2s'\"]`). "
        "Runners that send a file as one query (golang-migrate, Prisma, dbmate, diesel) run "
        "a file of several statements in a transaction block: there a statement that cannot "
        "run in one (`CREATE INDEX CONCURRENTLY`...) stays alone in its file, and lock_timeout "
        "is set on the migration connection or role instead (and declared as `preamble`)."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    aliases = ("E9", "lock_timeout")
    node_types = LOCKING_STATEMENTS
    examples = (
        Bad("ALTER TABLE accounts ADD COLUMN nickname text;"),
        Bad(
            "SET lock_timeout = '2s';\nRESET lock_timeout;\n"
            "ALTER TABLE accounts ADD COLUMN nickname text;",
            note="RESET turns the timeout off again",
        ),
        Bad(
            "BEGIN;\nSET LOCAL lock_timeout = '2s';\nCOMMIT;\n"
            "ALTER TABLE accounts ADD COLUMN nickname text;",
            note="SET LOCAL ends with its transaction",
        ),
        Bad(
            "SET lock_timeout = 0;\nCREATE INDEX accounts_email_idx ON accounts (email);",
            note="0 disables the timeout",
        ),
        Bad(
            "CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);",
            note="a warning, not an error: its ShareUpdateExclusiveLock queues no reads or writes",
        ),
        Good("SET lock_timeout = '2s';\nALTER TABLE accounts ADD COLUMN nickname text;"),
        Good(
            "BEGIN;\nSET LOCAL lock_timeout = '2s';\n"
            "ALTER TABLE accounts ADD COLUMN nickname text;\nCOMMIT;"
        ),
        Good(
            "SELECT set_config('lock_timeout', '2s', false);\n"
            "ALTER TABLE accounts ADD COLUMN nickname text;"
        ),
        Good(
            "ALTER TABLE accounts ADD COLUMN nickname text;",
            settings={"preamble": ("SET lock_timeout = '2s'",)},
            note="the runner sets it before each file (`preamble`)",
        ),
        Good(
            "CREATE TABLE accounts (id bigint);\nCREATE INDEX accounts_id_idx ON accounts (id);",
            note="a table created in the same file is not in use",
        ),
        Good(
            "UPDATE accounts SET plan = 'free' WHERE plan IS NULL;",
            history=("CREATE TABLE accounts (id bigint PRIMARY KEY, plan text);",),
            note="RowExclusiveLock only conflicts with DDL",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        if node is not ctx.statement.node or ctx.tx.lock_timeout is not None:
            return
        if pgast.is_concurrent_drop(node):
            return  # it blocks no query while it waits (see pgast.is_concurrent_drop)
        earlier = ctx.tx.locked_without_lock_timeout
        if earlier is not None and queues_queries(earlier):
            return  # reported earlier in the file, as an error
        # after a warning (ShareUpdateExclusiveLock) only a lock that queues queries is new
        above = THRESHOLD if earlier is None or earlier.strength < THRESHOLD.strength else earlier
        strongest = strongest_existing_lock(ctx.schema, ctx.effects, above)
        if strongest is None:
            return  # no lock on an existing relation, or reported earlier in the file
        rel, mode = strongest
        yield self.report(
            f"this statement waits for {mode.describe()} on `{rel}` with no lock_timeout: "
            "while it waits in the lock queue, every conflicting query on the table queues "
            "behind it",
            help=set_before("lock_timeout", "2s", ctx.file.layout, ctx.effects.transactional)
            + " and retry on timeout",
            severity=_severity(mode),
        )
