"""SS018 add-unique-constraint: ADD UNIQUE builds its index under an AccessExclusiveLock."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.effects import and_partitions
from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.advice import own_migration
from linter.state.context import Context, Report


class AddUniqueConstraint(Rule):
    code = "SS018"
    name = "add-unique-constraint"
    summary = "Adding a UNIQUE constraint builds its index while blocking all reads and writes"
    why = (
        "ADD CONSTRAINT ... UNIQUE (and ADD COLUMN ... UNIQUE) builds a unique index inside "
        "ALTER TABLE, which holds an AccessExclusiveLock: every read and write on the table "
        "waits for the whole index build. `USING INDEX` only attaches an index that already "
        "exists, which is instant."
    )
    safe_alternative = (
        "`CREATE UNIQUE INDEX CONCURRENTLY t_col_key ON t (col);` (outside a transaction), "
        "then `ALTER TABLE t ADD CONSTRAINT t_col_key UNIQUE USING INDEX t_col_key;`."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    scans = True
    aliases = ("disallowed-unique-constraint", "E7", "add_unique_constraint", "PG105")
    node_types = ("AlterTableStmt",)
    alter_subtypes = ("AT_AddColumn", "AT_AddConstraint")
    examples = (
        Bad("ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email);"),
        Bad("ALTER TABLE accounts ADD COLUMN handle text UNIQUE;"),
        Good(
            "ALTER TABLE accounts ADD CONSTRAINT accounts_email_key "
            "UNIQUE USING INDEX accounts_email_key;",
            history=(
                "CREATE TABLE accounts (id bigint, email text);",
                "CREATE UNIQUE INDEX CONCURRENTLY accounts_email_key ON accounts (email);",
            ),
        ),
        Good(
            "CREATE TABLE accounts (id bigint, email text);\n"
            "ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email);",
            note="a table created in the same file is empty",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        for table, sub, cmd in ctx.existing_alter_commands(node):
            if sub == "AT_AddConstraint":
                con = pgast.unwrap(cmd.get("def") or {}, "Constraint")
                if con.get("contype") != "CONSTR_UNIQUE" or con.get("indexname"):
                    continue
                columns = ", ".join(pgast.strings(con.get("keys")))
                what = f"UNIQUE ({columns})"
            elif sub == "AT_AddColumn":
                coldef = pgast.unwrap(cmd.get("def") or {}, "ColumnDef")
                if not pgast.has_constraint(coldef, "CONSTR_UNIQUE"):
                    continue
                columns = coldef.get("colname", "")
                what = f"column `{columns}` UNIQUE"
            else:
                continue
            parts = and_partitions(ctx.schema, table)
            yield self.report(
                f"adding {what} builds a unique index on `{table}`{parts} "
                "while holding "
                f"{LockMode.ACCESS_EXCLUSIVE.describe()}",
                help=f"CREATE UNIQUE INDEX CONCURRENTLY ... ON {table} ({columns}), "
                f"{own_migration(ctx.file.layout)}; then, in the next migration, ADD "
                "CONSTRAINT ... UNIQUE USING INDEX ...",
                at=cmd,
            )
