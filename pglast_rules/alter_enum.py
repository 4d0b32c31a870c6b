"""SS029 alter-enum: renaming an enum value, or ADD VALUE in a transaction before PG 12."""

from __future__ import annotations

from collections.abc import Iterator

from linter.rule import Bad, Good, Rule
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.advice import own_migration
from linter.state.context import Context, Report


class AlterEnum(Rule):
    code = "SS029"
    name = "alter-enum"
    summary = "Renaming an enum value breaks running code; ADD VALUE in a transaction fails < PG 12"
    why = (
        "`ALTER TYPE ... RENAME VALUE` changes a label that running code writes and compares: "
        "its inserts fail and its comparisons silently stop matching until every instance "
        "runs new code. Before PostgreSQL 12, `ALTER TYPE ... ADD VALUE` cannot run inside a "
        "transaction block, so a migration that wraps it in BEGIN ... COMMIT (or a runner "
        "transaction) fails. From PostgreSQL 12 it may, but the new value cannot be used "
        "until the transaction commits."
    )
    safe_alternative = (
        "Instead of renaming, add the new value, migrate the rows and code to it, and stop "
        "using the old one (enum values cannot be dropped; a lookup table is easier to "
        "evolve). Before PostgreSQL 12, run ADD VALUE in its own migration without a "
        "transaction."
    )
    aliases = ("rename_enum_value", "renaming-object")
    node_types = ("AlterEnumStmt",)
    examples = (
        Bad("ALTER TYPE order_status RENAME VALUE 'shipped' TO 'sent';"),
        Bad(
            "BEGIN;\nALTER TYPE order_status ADD VALUE 'returned';\nCOMMIT;",
            settings={"target_version": 11},
            note="PostgreSQL 11 refuses ADD VALUE inside a transaction block",
        ),
        Good(
            "BEGIN;\nALTER TYPE order_status ADD VALUE 'returned';\nCOMMIT;",
            note="allowed in a transaction since PostgreSQL 12",
        ),
        Good(
            "ALTER TYPE order_status ADD VALUE 'returned';",
            settings={"target_version": 11},
            note="outside a transaction it works on every version",
        ),
        Good(
            "CREATE TYPE order_status AS ENUM ('new', 'shipped');\n"
            "ALTER TYPE order_status RENAME VALUE 'shipped' TO 'sent';",
            note="nothing uses a type created in the same file yet",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        fields = pgast.unwrap(node)
        name = pgast.object_name(fields.get("typeName") or [])
        if fields.get("oldVal"):
            if ctx.schema.is_new_object(f"type:{name}"):
                return
            yield self.report(
                f"renaming value '{fields['oldVal']}' of enum `{name}` to '{fields.get('newVal')}'"
                " breaks running code that still writes or compares the old label",
                help="add the new value, move rows and code to it, stop using the old one",
            )
        elif ctx.target < 12 and ctx.tx.in_transaction:
            where = "a BEGIN block" if ctx.tx.explicit else "the runner's transaction"
            yield self.report(
                f"ALTER TYPE `{name}` ADD VALUE inside {where} fails on PostgreSQL "
                f"{ctx.target}: it cannot run in a transaction block before PostgreSQL 12",
                help=f"run it {own_migration(ctx.file.layout)}",
            )
