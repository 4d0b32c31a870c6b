"""SS102 prefer-text: varchar(n) column types."""

from __future__ import annotations

from collections.abc import Iterator

from linter.rule import Bad, Good, Rule, Severity
from linter.sql.pgast import Node
from linter.state.context import Context, Report


class PreferText(Rule):
    code = "SS102"
    name = "prefer-text"
    summary = "Use text (with a CHECK if a limit matters) rather than varchar(n)"
    why = (
        "In PostgreSQL varchar(n) is stored exactly like text; the length limit is its only "
        "effect, and changing it later is an ALTER COLUMN TYPE: shrinking it rewrites the "
        "table under an AccessExclusiveLock. A CHECK (length(col) <= n) constraint enforces "
        "the same limit and can be replaced online (NOT VALID, then VALIDATE)."
    )
    safe_alternative = "Declare the column text, plus `CHECK (length(col) <= n)` if needed."
    severity = Severity.NOTE
    group = "style"
    aliases = ("prefer-text-field",)
    node_types = ("CreateStmt", "AlterTableStmt")
    alter_subtypes = ("AT_AddColumn",)
    examples = (
        Bad("CREATE TABLE accounts (email varchar(255));"),
        Bad("ALTER TABLE accounts ADD COLUMN name character varying(100);"),
        Good("CREATE TABLE accounts (email text CHECK (length(email) <= 255));"),
        Good("CREATE TABLE accounts (email varchar);", note="no limit: the same as text"),
        Good(
            "ALTER TABLE accounts ALTER COLUMN email TYPE varchar(100);",
            note="an existing column's type change is not a new declaration "
            "(see alter-column-type)",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        for col, tref in ctx.declared_columns(node):
            if tref is None or tref.name != "varchar" or not tref.mods:
                continue
            check = "" if tref.array else f" CHECK (length({col.column}) <= {tref.mods[0]})"
            yield self.report(
                f"{col.action} declares `{col.table}.{col.column}` as {tref}: the limit can "
                "only be changed by ALTER COLUMN TYPE later",
                help=f"declare it `text{'[]' if tref.array else ''}{check}`",
                at=col.type_name,
            )
