"""SS004 alter-column-type: ALTER COLUMN ... TYPE that rewrites the table."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.effects import (
    and_partitions,
    binary_coercible,
    commands_other_end,
    utc_change_work,
    utc_coercible,
)
from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule, listing
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.context import Context, Report


class AlterColumnType(Rule):
    code = "SS004"
    name = "alter-column-type"
    summary = "Changing a column's type rewrites the table under an AccessExclusiveLock"
    why = (
        "Unless the old type is binary-coercible to the new one, ALTER COLUMN ... TYPE rewrites "
        "every row and rebuilds every index of the table while holding an AccessExclusiveLock: "
        "no reads, no writes, for as long as the copy takes. From PostgreSQL 12, timestamp <-> "
        "timestamptz is the exception when the file sets the session's TimeZone to UTC: the "
        "table is kept; the indexes that may use the column are still rebuilt and its CHECK "
        "and foreign key constraints re-checked, each a read of the table."
    )
    safe_alternative = (
        "Expand and contract: add a new column of the new type, keep it in sync with a trigger, "
        "backfill it in batches, switch the application, then drop the old column in a later "
        "release (`sqlsafe plan change-type`)."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    rewrites = True
    aliases = ("changing-column-type", "E5", "change_column", "PG301")
    node_types = ("AlterTableStmt",)
    alter_subtypes = ("AT_AlterColumnType",)
    examples = (
        Bad("ALTER TABLE accounts ALTER COLUMN id TYPE bigint;"),
        Bad(
            "ALTER TABLE enriched_editions ALTER COLUMN title TYPE varchar(100);",
            history=("CREATE TABLE enriched_editions (id bigint, title varchar(200));",),
            note="shrinking a varchar must check and rewrite every row",
        ),
        Good(
            "ALTER TABLE enriched_editions ALTER COLUMN title TYPE varchar(500);",
            history=("CREATE TABLE enriched_editions (id bigint, title varchar(200));",),
            note="widening a varchar is binary-coercible: no rewrite",
        ),
        Good(
            "ALTER TABLE enriched_editions ALTER COLUMN title SET DATA TYPE text;",
            history=("CREATE TABLE enriched_editions (id bigint, title varchar(200));",),
        ),
        Good(
            "ALTER TABLE prices ALTER COLUMN amount TYPE numeric(12,2);",
            history=("CREATE TABLE prices (id bigint, amount numeric(10,2));",),
            note="more precision at the same scale",
        ),
        Good(
            "ALTER TABLE enriched_editions ALTER COLUMN title TYPE text USING title;",
            history=("CREATE TABLE enriched_editions (id bigint, title varchar(200));",),
            note="`USING col` computes nothing new",
        ),
        Bad(
            "ALTER TABLE enriched_editions ALTER COLUMN title TYPE text USING upper(title);",
            history=("CREATE TABLE enriched_editions (id bigint, title varchar(200));",),
            note="a USING expression rewrites every row",
        ),
        Good(
            "CREATE TABLE accounts (id int);\nALTER TABLE accounts ALTER COLUMN id TYPE bigint;",
            note="a table created in the same file",
        ),
        Good(
            "SET timezone = 'UTC';\nALTER TABLE events ALTER COLUMN happened_at TYPE timestamptz;",
            history=("CREATE TABLE events (id bigint PRIMARY KEY, happened_at timestamp);",),
            note="PostgreSQL 12+: under UTC, timestamp and timestamptz store the same bits",
        ),
        Bad(
            "SET timezone = 'UTC';\nALTER TABLE events ALTER COLUMN happened_at TYPE timestamptz;",
            history=(
                "CREATE TABLE events (id bigint PRIMARY KEY, happened_at timestamp);\n"
                "CREATE INDEX events_happened_at_idx ON events (happened_at);",
            ),
            note="no rewrite under UTC, but the index on the column is rebuilt",
        ),
        Bad(
            "SET timezone = 'UTC';\nALTER TABLE events ALTER COLUMN happened_at TYPE timestamptz;",
            history=(
                "CREATE TABLE events (id bigint PRIMARY KEY, happened_at timestamp "
                "CHECK (happened_at > '2000-01-01'));",
            ),
            note="no rewrite under UTC, but the CHECK constraint is checked against every row",
        ),
        Bad(
            "SET timezone = 'Europe/Paris';\n"
            "ALTER TABLE events ALTER COLUMN happened_at TYPE timestamptz;",
            history=("CREATE TABLE events (id bigint PRIMARY KEY, happened_at timestamp);",),
            note="in any other time zone every row is converted",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        rewritten: list[tuple[str, str, Node]] = []  # (table, what changes, command)
        for table, sub, cmd in ctx.existing_alter_commands(node):
            if sub != "AT_AlterColumnType":
                continue
            column = cmd.get("name", "")
            coldef = pgast.unwrap(cmd.get("def") or {}, "ColumnDef")
            new = pgast.type_ref(coldef.get("typeName"))
            old = ctx.schema.column(table, column)
            old_type = old.type if old else None
            using = pgast.changes_values(cmd)
            if not using and binary_coercible(old_type, new, ctx.target):
                continue
            if not using and ctx.tx.utc and utc_coercible(old_type, new, ctx.target):
                work = utc_change_work(ctx.schema, table, column)
                if work == ():
                    continue  # no rewrite, no index to rebuild, no constraint to re-check
                which = ", ".join(work) if work else "indexes and constraints"
                yield self.report(
                    f"changing `{table}.{column}` from {old_type} to {new} does not rewrite the "
                    f"table (the session's TimeZone is UTC), but rebuilds or re-checks what "
                    f"may depend on the column ({which}) under "
                    f"{LockMode.ACCESS_EXCLUSIVE.describe()}"
                    + commands_other_end(pgast.unwrap(node), [cmd], ctx.schema, ctx.target, table),
                    help=(
                        "drop those indexes and constraints first and add them back without "
                        "a long lock (CONCURRENTLY, NOT VALID), or add a new column and swap"
                    ),
                    at=cmd,
                )
                continue
            change = f"from {old_type} to {new}" if old_type else f"to {new}"
            if using:
                change += " with a USING expression"
            rewritten.append((table, f"`{table}.{column}` {change}", cmd))
        if rewritten:  # one ALTER TABLE rewrites its table once, whatever columns change
            table, _change, cmd = rewritten[0]
            parts = and_partitions(ctx.schema, table)
            what = f"`{table}`{parts} (indexes included)" if parts else "the table and its indexes"
            once = " once" if len(rewritten) > 1 else ""
            yield self.report(
                f"changing {listing([c for _t, c, _cmd in rewritten])} rewrites {what}{once} "
                f"under {LockMode.ACCESS_EXCLUSIVE.describe()}"
                + commands_other_end(
                    pgast.unwrap(node),
                    [c for _t, _c, c in rewritten],
                    ctx.schema,
                    ctx.target,
                    table,
                ),
                help="add a new column, sync it with a trigger, backfill in batches, then swap",
                at=cmd,
            )
