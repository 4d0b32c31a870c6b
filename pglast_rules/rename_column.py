"""SS024 rename-column: renaming a column of an existing table breaks running code."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.context import Context, Report
from linter.state.drops import renames_back


def _added_earlier(ctx: Context, table: str, column: str) -> bool:
    """An earlier statement of this file added *column* to *table*: no running code uses it
    (the rename finishes a swap: add a new column, copy, drop the old one, rename)."""
    return 0 <= ctx.file.ahead.column_added_at(table, column) < ctx.statement.index


_ACCOUNTS = "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);"


class RenameColumn(Rule):
    code = "SS024"
    name = "rename-column"
    summary = "Renaming a column breaks the application code still using the old name"
    why = (
        "The rename is instant (a catalog change under a brief AccessExclusiveLock), but the "
        "application version that is running while the migration deploys still reads and "
        "writes the old name: its queries fail until every instance runs new code, and a "
        "rollback of the code fails the other way. Columns of tables created in the same file, "
        "and columns added earlier in the same file (the last step of a column swap), are not "
        "in use and are not reported."
    )
    safe_alternative = (
        "Expand and contract: add the new column, write both (application or trigger), "
        "backfill in batches, switch reads, stop writing the old column, drop it in a later "
        "release. Or keep the old name in the database and rename only in the ORM mapping."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    aliases = ("renaming-column", "rename_column", "BC102")
    node_types = ("RenameStmt",)
    examples = (
        Bad(
            "ALTER TABLE accounts RENAME COLUMN email TO email_address;",
            history=(_ACCOUNTS,),
        ),
        Good(
            "CREATE TABLE accounts (id bigint, email text);\n"
            "ALTER TABLE accounts RENAME COLUMN email TO email_address;",
            note="nobody uses a table created in the same file yet",
        ),
        Good(
            "ALTER INDEX accounts_email_idx RENAME TO accounts_email_address_idx;",
            history=(_ACCOUNTS, "CREATE INDEX accounts_email_idx ON accounts (email);"),
        ),
        Good(
            "ALTER TABLE accounts ADD COLUMN email_new citext;\n"
            "UPDATE accounts SET email_new = email;\n"
            "ALTER TABLE accounts DROP COLUMN email;\n"
            "ALTER TABLE accounts RENAME COLUMN email_new TO email;",
            history=("CREATE EXTENSION citext;", _ACCOUNTS),
            note="the renamed column was added by this file: no running code uses its old name",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        fields = pgast.unwrap(node)
        if fields.get("renameType") != "OBJECT_COLUMN":
            return
        if fields.get("relationType", "OBJECT_TABLE") not in (
            "OBJECT_TABLE",
            "OBJECT_FOREIGN_TABLE",
        ):
            return
        table = pgast.relation_name(fields.get("relation"))
        if ctx.is_new(table):
            return
        old, new = fields.get("subname", ""), fields.get("newname", "")
        if _added_earlier(ctx, table, old):
            return
        if ctx.reverses("column", table, old) or renames_back(node, ctx):
            return  # a down migration renaming back, or renaming its up's column
        yield self.report(
            f"renaming `{table}.{old}` to `{new}` breaks every running query that still uses "
            f"`{old}`",
            help="add the new column, write both, backfill, switch reads, then drop the old "
            "one in a later release",
        )
