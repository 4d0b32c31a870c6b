"""SS009 drop-table: an immediate DROP TABLE of an existing table."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.effects import and_partitions, other_tables_locked
from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.context import Context, Report


class DropTable(Rule):
    code = "SS009"
    name = "drop-table"
    summary = "Dropping a table breaks the code that uses it and loses its data"
    why = (
        "DROP TABLE takes an AccessExclusiveLock, waits behind every query on the table, and "
        "from the moment it commits every query of the running application that touches the "
        "table fails. The data cannot be recovered without a backup."
    )
    safe_alternative = (
        "Remove every use of the table from the code and deploy it; optionally rename the "
        "table first and watch for errors; drop it in a later migration."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    aliases = ("ban-drop-table", "DS102")
    node_types = ("DropStmt",)
    examples = (
        Bad(
            "DROP TABLE external_id_mappings;",
            history=(
                "CREATE TABLE external_id_mappings (id bigint PRIMARY KEY, external_id text);",
            ),
        ),
        Good("CREATE TABLE scratch (id bigint);\nDROP TABLE scratch;"),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        fields = pgast.unwrap(node)
        if fields.get("removeType") != "OBJECT_TABLE":
            return
        dropped = [pgast.object_name(obj) for obj in fields.get("objects") or ()]
        for obj, name in zip(fields.get("objects") or (), dropped, strict=True):
            if ctx.is_new(name) or ctx.reverses("table", name) or ctx.gone(fields, f"table:{name}"):
                continue  # new in this file, or a down migration dropping what its up created
            yield self.report(
                f"dropping table `{name}`{and_partitions(ctx.schema, name)} takes "
                f"{LockMode.ACCESS_EXCLUSIVE.describe()} and breaks any running code that still "
                "uses it; its data is lost"
                f"{other_tables_locked(ctx.effects, *dropped, schema=ctx.schema)}",
                help="remove its use from the code, deploy, then drop it in a later migration",
                at=obj,
            )
