"""SS010 add-foreign-key: a validated foreign key added to an existing table."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.effects import and_partitions
from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.context import Context, Report


class AddForeignKey(Rule):
    code = "SS010"
    name = "add-foreign-key"
    summary = (
        "Adding a foreign key without NOT VALID scans the table and blocks writes to both tables"
    )
    why = (
        "ADD FOREIGN KEY takes a ShareRowExclusiveLock on the table and on the referenced "
        "table, then checks every existing row: writes to both tables stop for the length of "
        "the scan."
    )
    safe_alternative = (
        "Add the constraint with NOT VALID (instant; new rows are checked), then run "
        "`ALTER TABLE ... VALIDATE CONSTRAINT` in a later transaction: it takes only a "
        "ShareUpdateExclusiveLock, so reads and writes go on."
    )
    lock = LockMode.SHARE_ROW_EXCLUSIVE
    scans = True
    aliases = ("adding-foreign-key-constraint", "E1", "add_foreign_key", "add_reference", "PG306")
    node_types = ("AlterTableStmt",)
    alter_subtypes = ("AT_AddColumn", "AT_AddConstraint")
    examples = (
        Bad(
            "ALTER TABLE enriched_editions ADD CONSTRAINT enriched_editions_work_fk "
            "FOREIGN KEY (work_id) REFERENCES enriched_works (id);"
        ),
        Bad(
            "ALTER TABLE enriched_editions\n"
            "    ADD COLUMN work_id bigint REFERENCES enriched_works (id);",
            note="an inline REFERENCES validates too",
        ),
        Good(
            "ALTER TABLE enriched_editions ADD CONSTRAINT enriched_editions_work_fk "
            "FOREIGN KEY (work_id) REFERENCES enriched_works (id) NOT VALID;"
        ),
        Good(
            "CREATE TABLE enriched_editions (id bigint, work_id bigint);\n"
            "ALTER TABLE enriched_editions ADD CONSTRAINT enriched_editions_work_fk "
            "FOREIGN KEY (work_id) REFERENCES enriched_works (id);",
            note="a table created in the same file has no rows to check",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        for table, sub, cmd in ctx.existing_alter_commands(node):
            constraints: list[Node] = []
            if sub == "AT_AddConstraint":
                constraints.append(pgast.unwrap(cmd.get("def") or {}, "Constraint"))
            elif sub == "AT_AddColumn":
                coldef = pgast.unwrap(cmd.get("def") or {}, "ColumnDef")
                constraints.extend(pgast.column_constraints(coldef))
            for con in constraints:
                if con.get("contype") != "CONSTR_FOREIGN" or pgast.is_not_valid(con):
                    continue
                ref = pgast.relation_name(con.get("pktable"))
                # the statement's other commands may lock the table harder (ADD COLUMN...)
                mine = ctx.effects.locks.get(table, LockMode.SHARE_ROW_EXCLUSIVE)
                if mine is LockMode.SHARE_ROW_EXCLUSIVE:
                    held = f"{mine.describe()} on both tables"
                else:
                    held = (
                        f"{mine.describe()} on `{table}` and "
                        f"{LockMode.SHARE_ROW_EXCLUSIVE.describe()} on `{ref}`"
                    )
                parts = and_partitions(ctx.schema, table)
                yield self.report(
                    f"foreign key from `{table}` to `{ref}` is validated immediately: it scans "
                    f"`{table}`{parts} while holding {held}",
                    help="add it NOT VALID, then VALIDATE CONSTRAINT in a later transaction",
                    at=con,
                )
