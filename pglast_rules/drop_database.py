"""SS047 drop-database: DROP DATABASE in a migration."""

from __future__ import annotations

from collections.abc import Iterator

from linter.rule import Bad, Good, Rule
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.context import Context, Report


class DropDatabase(Rule):
    code = "SS047"
    name = "drop-database"
    summary = "DROP DATABASE destroys a whole database"
    why = (
        "DROP DATABASE removes every object and every row of the database at once and cannot "
        "be undone. It cannot run inside a transaction block, so a runner-wrapped migration "
        "fails; it fails while anyone is connected, and WITH (FORCE) terminates those "
        "sessions instead."
    )
    safe_alternative = (
        "Do not drop databases from application migrations: do it by hand, after a backup, "
        "once nothing connects to it any more."
    )
    aliases = ("ban-drop-database",)
    node_types = ("DropdbStmt",)
    examples = (
        Bad("DROP DATABASE analytics;"),
        Bad("DROP DATABASE IF EXISTS analytics WITH (FORCE);"),
        Good(
            "CREATE DATABASE scratch;\nDROP DATABASE scratch;",
            note="created by the same file: holds nothing anyone uses",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        fields = pgast.unwrap(node)
        name = fields.get("dbname", "")
        if ctx.schema.is_new_object(f"database:{name}"):
            return
        force = pgast.option_enabled(fields.get("options"), "force")
        extra = "; WITH (FORCE) terminates every session connected to it" if force else ""
        yield self.report(
            f"DROP DATABASE `{name}` destroys all its data and cannot be undone{extra}",
            help="drop databases by hand, after a backup, not in a migration",
        )
