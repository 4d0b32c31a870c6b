"""SS027 drop-default: inserts that omit the column change behaviour or fail."""

from __future__ import annotations

from collections.abc import Iterator

from linter.context import Context, Report
from linter.locks import LockMode
from linter.pgast import Node
from linter.rule import Bad, Good, Rule, Severity


class DropDefault(Rule):
    code = "SS027"
    name = "drop-default"
    summary = "DROP DEFAULT breaks inserts that leave the column out"
    why = (
        "Application code (the version still running during the deploy included) that inserts "
        "without naming the column relied on the default: after DROP DEFAULT those inserts "
        "fail when the column is NOT NULL, and silently store NULL otherwise. The statement "
        "itself is a quick catalog change under an AccessExclusiveLock."
    )
    safe_alternative = (
        "First deploy code that always writes the column, then drop the default in a later "
        "migration; or keep the default."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    severity = Severity.WARNING
    aliases = ("ban-drop-default",)
    node_types = ("AlterTableStmt",)
    alter_subtypes = ("AT_ColumnDefault",)
    examples = (
        Bad("ALTER TABLE accounts ALTER COLUMN plan DROP DEFAULT;"),
        Bad(
            "ALTER TABLE accounts ADD COLUMN plan text NOT NULL DEFAULT 'free';\n"
            "ALTER TABLE accounts ALTER COLUMN plan DROP DEFAULT;",
            note="the running code does not know the new NOT NULL column: its inserts fail",
        ),
        Good(
            "ALTER TABLE accounts ALTER COLUMN plan DROP DEFAULT;",
            history=("CREATE TABLE accounts (id bigint, plan text);",),
            note="the column never had a default: nothing changes",
        ),
        Good(
            "CREATE TABLE accounts (id bigint, plan text DEFAULT 'free');\n"
            "ALTER TABLE accounts ALTER COLUMN plan DROP DEFAULT;",
            note="nobody inserts into a table created in the same file yet",
        ),
        Good(
            "ALTER TABLE accounts ALTER COLUMN plan SET DEFAULT 'free';",
            history=("CREATE TABLE accounts (id bigint, plan text);",),
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        for table, sub, cmd in ctx.existing_alter_commands(node):
            known = ctx.schema.table(table)
            if sub != "AT_ColumnDefault" or cmd.get("def"):
                continue
            column = cmd.get("name", "")
            col = known.columns.get(column) if known is not None else None
            if known is not None and known.known and col is not None and not col.has_default:
                continue  # the history created the column without a default: a no-op
            effect = (
                "fail (the column is NOT NULL)"
                if col is not None and col.not_null
                else "store NULL, or fail if the column is NOT NULL"
            )
            yield self.report(
                f"DROP DEFAULT on `{table}.{column}`: inserts that leave the column out will "
                f"{effect}",
                help="deploy code that always writes the column first, then drop the default",
            )
