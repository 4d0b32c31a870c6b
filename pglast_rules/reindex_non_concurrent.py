"""SS040 reindex-non-concurrent: REINDEX without CONCURRENTLY."""

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

_WHAT = {
    "REINDEX_OBJECT_INDEX": "INDEX",
    "REINDEX_OBJECT_TABLE": "TABLE",
    "REINDEX_OBJECT_SCHEMA": "SCHEMA",
    "REINDEX_OBJECT_DATABASE": "DATABASE",
}


class ReindexNonConcurrent(Rule):
    code = "SS040"
    name = "reindex-non-concurrent"
    summary = "REINDEX without CONCURRENTLY blocks writes, and queries that use the index"
    why = (
        "A plain REINDEX takes a ShareLock on the table (INSERT, UPDATE and DELETE wait) and an "
        "AccessExclusiveLock on each index it rebuilds. Because the planner opens every index "
        "of a table, even plain SELECTs on the table queue behind it: the table is practically "
        "unusable until the rebuild ends. REINDEX SCHEMA or DATABASE does this to every table."
    )
    safe_alternative = (
        "PostgreSQL 12+: `REINDEX INDEX CONCURRENTLY name` (or `REINDEX TABLE CONCURRENTLY`), "
        "outside a transaction block; it takes only a ShareUpdateExclusiveLock. Before 12: "
        "`CREATE INDEX CONCURRENTLY` a copy, `DROP INDEX CONCURRENTLY` the old one, and rename "
        "the copy."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    scans = True
    aliases = ("require-concurrent-reindex",)
    node_types = ("ReindexStmt",)
    examples = (
        Bad("REINDEX INDEX accounts_email_idx;", history=_ACCOUNTS),
        Bad("REINDEX TABLE accounts;", history=_ACCOUNTS),
        Bad(
            "REINDEX (CONCURRENTLY false) TABLE accounts;",
            note="an option switched off is no option",
        ),
        Bad(
            "REINDEX INDEX accounts_email_idx;",
            history=_ACCOUNTS,
            settings={"target_version": 11},
            note="before PostgreSQL 12 there is no CONCURRENTLY: the advice is to build a copy",
        ),
        Good("REINDEX INDEX CONCURRENTLY accounts_email_idx;", history=_ACCOUNTS),
        Good("REINDEX (CONCURRENTLY) TABLE accounts;", history=_ACCOUNTS),
        Good(
            "CREATE TABLE accounts (id bigint, email text);\n"
            "CREATE INDEX accounts_email_idx ON accounts (email);\n"
            "REINDEX INDEX accounts_email_idx;",
            note="an index on a table created in the same file is small and unused",
        ),
        Good("REINDEX SYSTEM;", note="system catalogs cannot be reindexed concurrently"),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        fields = pgast.unwrap(node)
        what = _WHAT.get(fields.get("kind", ""))
        if what is None or pgast.option_enabled(fields.get("params"), "concurrently"):
            return
        target = pgast.relation_name(fields.get("relation")) if fields.get("relation") else ""
        if what == "INDEX":
            index = ctx.schema.indexes.get(target)
            if index is not None and ctx.schema.is_new_index(index):
                return
        elif what == "TABLE" and ctx.is_new(target):
            return
        name = target or fields.get("name") or "the current database"
        if what == "INDEX":
            table = next((t for t, m in ctx.effects.locks.items() if m is LockMode.SHARE), "")
            on = f" of `{table}`" if table else ""
            impact = (
                f"takes {LockMode.ACCESS_EXCLUSIVE.describe()} on the index and "
                f"{LockMode.SHARE.value} on its table{on}: queries that plan on the table wait"
            )
        elif what == "TABLE":
            impact = (
                f"takes {LockMode.SHARE.describe()} on the table and "
                f"{LockMode.ACCESS_EXCLUSIVE.value} on each of its indexes: queries wait"
            )
        else:
            impact = (
                f"rebuilds every index of every table in it, each under {LockMode.SHARE.value} "
                f"on the table and {LockMode.ACCESS_EXCLUSIVE.value} on the index"
            )
        if ctx.target >= 12:
            help_text = f"use REINDEX {what} CONCURRENTLY {name}, {own_migration(ctx.file.layout)}"
        else:
            help_text = (
                "PostgreSQL < 12 has no REINDEX CONCURRENTLY: CREATE INDEX CONCURRENTLY a copy, "
                "DROP INDEX CONCURRENTLY the old index, then rename the copy"
            )
        yield self.report(f"REINDEX {what} `{name}` {impact}", help=help_text)
