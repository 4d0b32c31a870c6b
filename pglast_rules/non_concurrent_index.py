"""SS001 non-concurrent-index: CREATE INDEX without CONCURRENTLY on an existing table."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.advice import own_migration
from linter.state.context import Context, Report


class NonConcurrentIndex(Rule):
    code = "SS001"
    name = "non-concurrent-index"
    summary = "CREATE INDEX without CONCURRENTLY blocks writes while the index is built"
    why = (
        "A plain CREATE INDEX takes a ShareLock on the table for the whole build: every "
        "INSERT, UPDATE and DELETE waits, for minutes on a large table. Reads go on."
    )
    safe_alternative = (
        "CREATE INDEX CONCURRENTLY, in a migration that runs outside a transaction. If it "
        "fails, DROP INDEX CONCURRENTLY the INVALID leftover and retry."
    )
    lock = LockMode.SHARE
    scans = True
    aliases = ("require-concurrent-index-creation", "E6", "add_index", "PG101")
    node_types = ("IndexStmt",)
    examples = (
        Bad("CREATE INDEX accounts_email_idx ON accounts (email);"),
        Bad(
            "CREATE UNIQUE INDEX enriched_works_isbn_key ON enriched_works (isbn);",
            history=("CREATE TABLE enriched_works (id bigint PRIMARY KEY, isbn text);",),
            note="the table was created by an earlier migration: it exists and may be large",
        ),
        Bad(
            "DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_class "
            "WHERE relname = 'accounts_email_idx') THEN\n"
            "    CREATE INDEX accounts_email_idx ON accounts (email);\n  END IF;\nEND\n$$;",
            history=("CREATE TABLE accounts (id bigint PRIMARY KEY, email text);",),
            note="the statements a DO block runs are linted too (and CONCURRENTLY cannot run "
            "in one)",
        ),
        Good("CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);"),
        Good(
            "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\n"
            "CREATE INDEX accounts_email_idx ON accounts (email);",
            note="a table created in the same file is empty and unused",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        fields = pgast.unwrap(node)
        if fields.get("concurrent"):
            return
        table = pgast.relation_name(fields.get("relation"))
        if ctx.is_new(table):
            return
        known = ctx.schema.table(table)
        if known is not None and known.partitioned:
            return  # index-on-partitioned-table explains the recipe that works there
        unique = "UNIQUE " if fields.get("unique") else ""
        yield self.report(
            f"CREATE {unique}INDEX on existing table `{table}` takes "
            f"{LockMode.SHARE.describe()} for the whole index build",
            help=f"use CREATE INDEX CONCURRENTLY, {own_migration(ctx.file.layout)}",
        )
