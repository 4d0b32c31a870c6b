"""SS006 add-not-null-column: ADD COLUMN ... NOT NULL without a default."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.effects import and_partitions
from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.context import Context, Report


class AddNotNullColumn(Rule):
    code = "SS006"
    name = "add-not-null-column"
    summary = "ADD COLUMN ... NOT NULL without a default fails on a table that has rows"
    why = (
        "Existing rows would get NULL, so PostgreSQL refuses the statement on any non-empty "
        "table; and the application version still running does not write the new column, so "
        "its inserts would fail too."
    )
    safe_alternative = (
        "Add the column with a constant DEFAULT (no rewrite from PostgreSQL 11), or add it "
        "nullable, backfill in batches, then make it NOT NULL through a validated CHECK."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    aliases = ("adding-required-field", "MF103")
    node_types = ("AlterTableStmt",)
    alter_subtypes = ("AT_AddColumn",)
    examples = (
        Bad("ALTER TABLE accounts ADD COLUMN plan text NOT NULL;"),
        Good("ALTER TABLE accounts ADD COLUMN plan text NOT NULL DEFAULT 'free';"),
        Good("ALTER TABLE accounts ADD COLUMN plan text;"),
        Good(
            "ALTER TABLE accounts\n"
            "    ADD COLUMN total int GENERATED ALWAYS AS (a + b) STORED NOT NULL;",
            note="generated columns compute their own value",
        ),
        Good(
            "CREATE TABLE accounts (id bigint);\n"
            "ALTER TABLE accounts ADD COLUMN plan text NOT NULL;",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        for table, sub, cmd in ctx.existing_alter_commands(node):
            if sub != "AT_AddColumn":
                continue
            coldef = pgast.unwrap(cmd.get("def") or {}, "ColumnDef")
            cons = {c.get("contype") for c in pgast.column_constraints(coldef)}
            if "CONSTR_NOTNULL" not in cons and "CONSTR_PRIMARY" not in cons:
                continue
            if pgast.column_default(coldef) is not None or cons & {
                "CONSTR_GENERATED",
                "CONSTR_IDENTITY",
            }:
                continue
            tref = pgast.type_ref(coldef.get("typeName"))
            if tref is not None and tref.name in ("serial", "bigserial", "smallserial"):
                continue  # rewrite-column reports serial columns
            parts = and_partitions(ctx.schema, table)
            yield self.report(
                f"ADD COLUMN `{coldef.get('colname')}` NOT NULL without a DEFAULT fails on "
                f"`{table}`{parts} as soon as it has a row, and breaks inserts of the running "
                "application",
                help="add a constant DEFAULT, or add it nullable, backfill, then enforce NOT NULL",
                at=cmd,
            )
