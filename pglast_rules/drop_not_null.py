"""SS026 drop-not-null: readers that assume a value may now get NULL."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule, Severity
from linter.sql.pgast import Node
from linter.state.context import Context, Report


class DropNotNull(Rule):
    code = "SS026"
    name = "drop-not-null"
    summary = "DROP NOT NULL lets NULLs reach code that assumes the column always has a value"
    why = (
        "The change itself is a quick catalog update (AccessExclusiveLock, no scan), but once "
        "new code writes NULLs, the application version still running, reports, exports and "
        "downstream consumers that assume a value break. It is also hard to undo: SET NOT NULL "
        "again needs a full table scan."
    )
    safe_alternative = (
        "Make sure every reader handles NULL before deploying; or keep the column NOT NULL "
        "with a sentinel default; or move the optional data to a new nullable column."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    severity = Severity.WARNING
    aliases = ("ban-drop-not-null",)
    node_types = ("AlterTableStmt",)
    alter_subtypes = ("AT_DropNotNull",)
    examples = (
        Bad("ALTER TABLE accounts ALTER COLUMN email DROP NOT NULL;"),
        Good(
            "CREATE TABLE accounts (id bigint, email text NOT NULL);\n"
            "ALTER TABLE accounts ALTER COLUMN email DROP NOT NULL;",
            note="nobody reads a table created in the same file yet",
        ),
        Good(
            "ALTER TABLE accounts ALTER COLUMN email DROP NOT NULL;",
            history=("CREATE TABLE accounts (id bigint, email text);",),
            note="the history shows the column nullable already: nothing changes",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        for table, sub, cmd in ctx.existing_alter_commands(node):
            if sub != "AT_DropNotNull":
                continue
            column = cmd.get("name", "")
            model = ctx.schema.table(table)
            known = model.columns.get(column) if model is not None and model.known else None
            if known is not None and not known.not_null:
                continue  # the history shows the column nullable already: a no-op
            if ctx.reverses("not-null", table, column):
                continue  # a down migration undoing its up's SET NOT NULL
            yield self.report(
                f"DROP NOT NULL on `{table}.{column}`: code that assumes a value breaks when "
                "NULLs arrive, and restoring NOT NULL later needs a full table scan",
                help="check every reader handles NULL first, or keep NOT NULL with a sentinel "
                "value",
                at=cmd,
            )
