"""SS050 drop-type: DROP TYPE / DROP DOMAIN of an existing type."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.schema import may_be_type
from linter.rule import Bad, Good, Rule, Severity
from linter.sql.pgast import Node
from linter.state.context import Context, Report
from linter.state.drops import DroppedObject, dropped_existing

_KINDS = {"OBJECT_TYPE": "type", "OBJECT_DOMAIN": "domain"}


def _drops_older_columns(ctx: Context, drop: DroppedObject) -> bool:
    """DROP ... CASCADE of *drop* drops a column of a table the paired up migration did not
    create (one it moved onto the type: moving it back is the down migration's job)."""
    if not drop.cascade:
        return False
    for name in ctx.schema.tables_using_type(drop.name):
        table = ctx.schema.table(name)
        columns = table.columns.values() if table is not None else ()
        if any(
            column.type is not None
            and may_be_type(column.type, drop.name)
            and not ctx.reverses("column", name, column.name)
            for column in columns
        ):
            return True
    return False


class DropType(Rule):
    code = "SS050"
    name = "drop-type"
    summary = "Dropping a type breaks the code that uses it; with CASCADE it drops columns"
    why = (
        "Queries and functions that cast to or return the type fail once DROP TYPE commits. "
        "Without CASCADE the drop fails while a column still uses the type; with CASCADE "
        "PostgreSQL drops those columns, and their data, without naming them. Not reported: a "
        "drop without CASCADE of a type the migration history created, once no column uses "
        "it (the last step of moving columns off an enum); PostgreSQL refuses it while a "
        "column, function or other type still depends on the type."
    )
    safe_alternative = (
        "Move every column and every piece of code off the type and deploy first, then drop "
        "it in a later migration, without CASCADE so a forgotten column makes it fail loudly."
    )
    severity = Severity.WARNING
    aliases = ("ban-drop-type", "ban-drop-domain")
    node_types = ("DropStmt",)
    examples = (
        Bad('DROP TYPE "Role";'),
        Bad("DROP DOMAIN email_address;"),
        Bad("DROP TYPE mood CASCADE;", note="drops every column of type mood with its data"),
        Bad(
            'ALTER TABLE "Invite" DROP COLUMN "status";\nDROP TYPE "InviteStatus";',
            history=(
                "CREATE TYPE \"InviteStatus\" AS ENUM ('PENDING', 'ACCEPTED');\n"
                'CREATE TABLE "Invite" (id bigint, "status" "InviteStatus");\n'
                'CREATE TABLE "Member" (id bigint, "invite" "InviteStatus"[]);',
            ),
            note='`"Member"."invite"` still uses it: the drop fails (with CASCADE, it would '
            "drop that column)",
        ),
        Good(
            'ALTER TABLE "Invite" DROP COLUMN "status";\nDROP TYPE "InviteStatus";',
            history=(
                "CREATE TYPE \"InviteStatus\" AS ENUM ('PENDING', 'ACCEPTED');\n"
                'CREATE TABLE "Invite" (id bigint, "status" "InviteStatus");',
            ),
            note="created by an earlier migration and no column uses it any more; "
            "PostgreSQL would refuse the drop if one did",
        ),
        Good(
            "CREATE TYPE mood AS ENUM ('happy', 'sad');\nDROP TYPE mood;",
            note="created in the same file: nothing uses it yet",
        ),
        Good(
            'ALTER TYPE "Role" RENAME TO "Role_old";\n'
            "CREATE TYPE \"Role\" AS ENUM ('USER', 'ADMIN');\n"
            'ALTER TABLE "User" ALTER COLUMN "role" TYPE "Role" USING ("role"::text::"Role");\n'
            'DROP TYPE "Role_old";',
            note="the usual way to change an enum: the old type, renamed and replaced",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        for drop in dropped_existing(node, ctx, _KINDS):
            if drop.redefined and not drop.cascade:
                continue
            if drop.undone and not _drops_older_columns(ctx, drop):
                continue  # a down migration dropping the type its up created
            if (
                not drop.cascade
                and drop.key in ctx.schema.objects
                and not ctx.schema.type_in_use(drop.name)
            ):
                continue  # nothing uses it any more; PostgreSQL refuses it if something does
            what, name, cascade = drop.kind, drop.name, drop.cascade
            effect = (
                "CASCADE drops every column of this type, and its data"
                if cascade
                else "queries and functions that still use it fail"
            )
            yield self.report(
                f"dropping {what} `{name}`: {effect}",
                help=(
                    "move columns and code off the type and deploy first; drop it later "
                    "without CASCADE"
                ),
                at=drop.node,
            )
