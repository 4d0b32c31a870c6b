"""SS025 rename-table: renaming an existing table breaks running code."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule
from linter.sql import pgast
from linter.sql.parsing import Statement
from linter.sql.pgast import Node
from linter.state.context import Context, Report
from linter.state.drops import renames_back


def _views(statements: Sequence[Statement]) -> dict[str, int]:
    """View name -> the last statement of the file that creates it (once per file: a walk
    of the rest of the file for each rename was quadratic in a file of many)."""
    return {
        pgast.relation_name(stmt.fields.get("view")): stmt.index
        for stmt in statements
        if stmt.kind == "ViewStmt"
    }


def _view_created_later(ctx: Context, name: str) -> bool:
    """A later statement of the file creates a view with the table's old name."""
    views = ctx.file.ahead.indexed("rename-table", _views)
    return views.get(name, -1) > ctx.statement.index


_ACCOUNTS = ("CREATE TABLE accounts (id bigint PRIMARY KEY, email text);",)


class RenameTable(Rule):
    code = "SS025"
    name = "rename-table"
    summary = "Renaming a table breaks the application code still using the old name"
    why = (
        "The rename is instant (a catalog change under a brief AccessExclusiveLock), but the "
        "application version running during the deploy still queries the old name and fails "
        "until every instance runs new code. Tables created in the same file are not in use "
        "and are not reported; nor is a rename followed, in the same file, by a view with the "
        "old name (the usual compatibility shim)."
    )
    safe_alternative = (
        "In one transaction: `ALTER TABLE old RENAME TO new; CREATE VIEW old AS SELECT * FROM "
        "new;` (a simple view is updatable, so old code keeps working); drop the view once no "
        "code uses the old name."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    aliases = ("renaming-table", "rename_table", "BC101")
    node_types = ("RenameStmt",)
    examples = (
        Bad("ALTER TABLE accounts RENAME TO customers;", history=_ACCOUNTS),
        Good(
            "BEGIN;\nALTER TABLE accounts RENAME TO customers;\n"
            "CREATE VIEW accounts AS SELECT * FROM customers;\nCOMMIT;",
            history=_ACCOUNTS,
            note="the view keeps the old name working",
        ),
        Good(
            "CREATE TABLE accounts_new (id bigint);\nALTER TABLE accounts_new RENAME TO accounts;",
            note="nobody uses a table created in the same file yet",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        fields = pgast.unwrap(node)
        if fields.get("renameType") != "OBJECT_TABLE":
            return
        table = pgast.relation_name(fields.get("relation"))
        if ctx.is_new(table) or _view_created_later(ctx, table):
            return
        new = fields.get("newname", "")
        if ctx.reverses("table", table) or renames_back(node, ctx):
            return  # a down migration renaming back, or renaming its up's table
        yield self.report(
            f"renaming `{table}` to `{new}` breaks every running query that still uses the old "
            "name",
            help=f"rename and `CREATE VIEW {table} AS SELECT * FROM {new}` in one transaction; "
            "drop the view later",
        )
