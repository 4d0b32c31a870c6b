"""SS044 table-rewrite: SET TABLESPACE, SET LOGGED/UNLOGGED, SET ACCESS METHOD."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.context import Context, Report

_WHAT = {
    "AT_SetTableSpace": (
        "SET TABLESPACE",
        "copies every data file to the new tablespace",
    ),
    "AT_SetLogged": (
        "SET LOGGED",
        "rewrites the table and writes all of it to the WAL (replicas lag behind)",
    ),
    "AT_SetUnLogged": (
        "SET UNLOGGED",
        "rewrites the table; afterwards it is emptied by a crash and not replicated",
    ),
    "AT_SetAccessMethod": (
        "SET ACCESS METHOD",
        "rewrites the table and its indexes in the new storage format",
    ),
}
_OBJECTS = {"OBJECT_TABLE": "table", "OBJECT_MATVIEW": "materialized view", "OBJECT_INDEX": "index"}


class TableRewrite(Rule):
    code = "SS044"
    name = "table-rewrite"
    summary = "SET TABLESPACE, SET LOGGED/UNLOGGED and SET ACCESS METHOD rewrite the table"
    why = (
        "These ALTER TABLE forms copy or rewrite the whole table (SET TABLESPACE also an "
        "index or materialized view) while holding an AccessExclusiveLock: nobody can read or "
        "write it until the copy is done. SET LOGGED also pushes the whole table through the "
        "WAL; SET UNLOGGED makes it crash-unsafe and invisible to replicas. SET ACCESS METHOD "
        "exists from PostgreSQL 15."
    )
    safe_alternative = (
        "Create a new table with the wanted property, copy the rows in batches while keeping it "
        "in sync (trigger or logical replication), then swap the names in a short transaction; "
        "or use pg_repack (it can move a table to another tablespace online)."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    rewrites = True
    aliases = ("E10",)
    node_types = ("AlterTableStmt",)
    alter_subtypes = ("AT_SetAccessMethod", "AT_SetLogged", "AT_SetTableSpace", "AT_SetUnLogged")
    examples = (
        Bad("ALTER TABLE events SET TABLESPACE fast_ssd;"),
        Bad(
            "ALTER TABLE events SET LOGGED;",
            history=("CREATE UNLOGGED TABLE events (id bigint);",),
        ),
        Bad("ALTER TABLE events SET UNLOGGED;"),
        Bad(
            "ALTER TABLE events SET ACCESS METHOD heap2;",
            history=(
                "CREATE TABLE events (id bigint, created date);",
                "CREATE ACCESS METHOD heap2 TYPE TABLE HANDLER heap_tableam_handler;",
            ),
        ),
        Bad(
            "ALTER INDEX events_created_idx SET TABLESPACE fast_ssd;",
            history=(
                "CREATE TABLE events (id bigint, created date);",
                "CREATE INDEX events_created_idx ON events (created);",
            ),
        ),
        Good(
            "CREATE TABLE events (id bigint);\nALTER TABLE events SET TABLESPACE fast_ssd;",
            note="a table created in the same file is empty",
        ),
        Good(
            "ALTER TABLE events SET TABLESPACE fast_ssd;",
            history=("CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);",),
            note="on a partitioned table this only sets the default for future partitions",
        ),
        Good("ALTER TABLE events SET (fillfactor = 70);"),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        fields = pgast.unwrap(node)
        what = _OBJECTS.get(fields.get("objtype", "OBJECT_TABLE"))
        if what is None:
            return
        rel = pgast.relation_name(fields.get("relation"))
        if rel not in ctx.effects.rewrites:
            return
        if what == "index":
            index = ctx.schema.indexes.get(rel)
            if index is not None and ctx.schema.is_new_index(index):
                return
        elif ctx.is_new(rel):
            return
        known = ctx.schema.table(rel)
        for sub, cmd in pgast.alter_commands(fields):
            if sub not in _WHAT:
                continue
            if known is not None and known.partitioned:
                continue  # a partitioned table has no storage of its own
            action, effect = _WHAT[sub]
            yield self.report(
                f"{action} on {what} `{rel}` {effect}, holding "
                f"{LockMode.ACCESS_EXCLUSIVE.describe()} until it is done",
                help=(
                    "build a new table with the property, copy and sync the rows, then swap "
                    "names in a short transaction (pg_repack can move tablespaces online)"
                ),
                at=cmd,
            )
