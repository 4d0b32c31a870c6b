"""SS008 drop-column: an immediate DROP COLUMN of an existing table."""

from __future__ import annotations

from collections.abc import Iterator

from linter.context import Context, Report
from linter.locks import LockMode
from linter.pgast import Node
from linter.rule import Bad, Good, Rule


class DropColumn(Rule):
    code = "SS008"
    name = "drop-column"
    summary = "Dropping a column breaks the application version that still uses it"
    why = (
        "The drop itself is quick (the column is only hidden), but the application that is "
        "still running selects, inserts or maps that column and fails from the moment the "
        "migration commits; the data is gone for good."
    )
    safe_alternative = (
        "Stop reading and writing the column in the code (ORMs: mark it ignored), deploy that "
        "release, then drop the column in a later migration."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    aliases = ("ban-drop-column", "remove_column", "DS103")
    node_types = ("AlterTableStmt",)
    alter_subtypes = ("AT_DropColumn",)
    examples = (
        Bad("ALTER TABLE accounts DROP COLUMN legacy_plan;"),
        Good(
            "CREATE TABLE scratch (id bigint, tmp text);\nALTER TABLE scratch DROP COLUMN tmp;",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        for table, sub, cmd in ctx.existing_alter_commands(node):
            if sub == "AT_DropColumn":
                column = cmd.get("name", "")
                model = ctx.schema.table(table)
                absent = model is not None and model.known and column not in model.columns
                if absent and cmd.get("missing_ok"):
                    continue  # DROP COLUMN IF EXISTS of a column the history never had
                yield self.report(
                    f"dropping `{table}.{column}` breaks any running code that still uses it, "
                    "and its data is lost",
                    help="stop using the column in the application, deploy, then drop it in a "
                    "later migration",
                )
