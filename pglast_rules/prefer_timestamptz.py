"""SS103 prefer-timestamptz: timestamp without time zone."""

from __future__ import annotations

from collections.abc import Iterator

from linter.rule import Bad, Good, Rule, Severity
from linter.sql.pgast import Node
from linter.state.context import Context, Report


class PreferTimestamptz(Rule):
    code = "SS103"
    name = "prefer-timestamptz"
    summary = "Use timestamptz rather than timestamp without time zone"
    why = (
        "timestamp without time zone stores a wall-clock reading with no zone: the same "
        "instant is stored differently by sessions with different TimeZone settings, and "
        "comparisons with now() depend on the session. timestamptz stores an absolute instant "
        "(in the same 8 bytes) and converts on input and output. Converting later needs an "
        "ALTER COLUMN TYPE, which rewrites unless the session time zone is UTC (PG 12+)."
    )
    safe_alternative = "Declare the column timestamptz (timestamp with time zone)."
    severity = Severity.NOTE
    group = "style"
    aliases = ("prefer-timestamp-tz",)
    node_types = ("CreateStmt", "AlterTableStmt")
    alter_subtypes = ("AT_AddColumn",)
    examples = (
        Bad("CREATE TABLE events (created_at timestamp NOT NULL DEFAULT now());"),
        Bad('ALTER TABLE "Event" ADD COLUMN "createdAt" TIMESTAMP(3);'),
        Bad("CREATE TABLE events (at timestamp without time zone);"),
        Good("CREATE TABLE events (created_at timestamptz NOT NULL DEFAULT now());"),
        Good("CREATE TABLE events (created_at timestamp(3) with time zone);"),
        Good(
            "ALTER TABLE events ALTER COLUMN created_at TYPE timestamp;",
            note="an existing column's type change is not a new declaration "
            "(see alter-column-type)",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        for col, tref in ctx.declared_columns(node):
            if tref is None or tref.name != "timestamp":
                continue
            precision = f"({tref.mods[0]})" if tref.mods else ""
            yield self.report(
                f"{col.action} declares `{col.table}.{col.column}` as timestamp without time "
                "zone: its meaning depends on each session's TimeZone",
                help=f"declare it `timestamptz{precision}{'[]' if tref.array else ''}`",
                at=col.type_name,
            )
